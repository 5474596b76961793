"""Landlock through ctypes (docs/sandbox.md 8.1).

Our own binding because the PyPI ``landlock`` package only knows filesystem rights: it cannot
deny TCP (ABI 4) or scope signals and abstract unix sockets (ABI 6), and both matter here (P15).
Landlock also forbids ``mount`` once applied, so it must come after every mount.
"""

from __future__ import annotations

import ctypes
import functools
import glob
import os
import stat
import sys
from collections.abc import Iterable
from pathlib import Path

from assay.sandbox import _libc

_CREATE_RULESET = 444
_ADD_RULE = 445
_RESTRICT_SELF = 446
_CREATE_RULESET_VERSION = 1
_RULE_PATH_BENEATH = 1

EXECUTE = 1 << 0
WRITE_FILE = 1 << 1
READ_FILE = 1 << 2
READ_DIR = 1 << 3
REFER = 1 << 13  # ABI 2
TRUNCATE = 1 << 14  # ABI 3
IOCTL_DEV = 1 << 15  # ABI 5
_FILE_RIGHTS = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV
READ_ONLY = EXECUTE | READ_FILE | READ_DIR

_TCP_BIND_CONNECT = 0b11  # ABI 4: LANDLOCK_ACCESS_NET_BIND_TCP | CONNECT_TCP
_SCOPES = 0b11  # ABI 6: LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET | SIGNAL

# Read-only beneath these; /etc as a whole is deliberately absent (shadow lives there, P13).
_SYSTEM_READ = (
    "/usr",
    "/lib",
    "/lib64",
    "/bin",
    "/sbin",
    "/etc/ld.so.cache",
    "/etc/localtime",
    "/etc/alternatives",  # /usr/bin/c++ -> /etc/alternatives/c++, used by cpp_extension
    "/proc/cpuinfo",
    "/proc/meminfo",
    "/sys/devices/system/cpu",  # torch reads the CPU topology at import and per thread pool
    "/dev/urandom",
    "/dev/random",
    "/dev/zero",
)


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("fs", ctypes.c_uint64), ("net", ctypes.c_uint64), ("scoped", ctypes.c_uint64)]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1  # the kernel struct is packed to 12 bytes (P15)
    _fields_ = [("allowed", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def abi_version() -> int:
    """Landlock ABI of the running kernel, 0 when Landlock is off or the syscall is filtered."""
    try:
        return _libc.syscall(_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(_CREATE_RULESET_VERSION))
    except OSError:
        return 0


def _import_dirs(entries: tuple[str, ...]) -> list[Path]:
    """The ``sys.path`` directories that hold installed code.

    Not every entry: ``python -m`` and ``python script.py`` put the working or script directory
    first, which is typically the repository or task folder holding hidden references. Kept:
    entries inside an interpreter prefix, site-/dist-packages, and the directory assay itself
    is imported from (its ``src/`` when installed editable).
    """
    prefixes = {Path(p).resolve() for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
    own = Path(__file__).resolve().parents[2]
    out = []
    for entry in entries:
        if not entry or not os.path.isdir(entry):
            continue
        path = Path(entry).resolve()
        if (
            path == own
            or path.name in ("site-packages", "dist-packages")
            or any(path.is_relative_to(p) for p in prefixes)
        ):
            out.append(path)
    return out


@functools.lru_cache(maxsize=4)
def _base_paths(entries: tuple[str, ...]) -> tuple[Path, ...]:
    paths = [Path(p) for p in _SYSTEM_READ]
    paths += [Path(p) for p in sorted(glob.glob("/etc/python3*"))]
    paths += [Path(sys.prefix), Path(sys.base_prefix), Path(sys.exec_prefix)]
    paths.append(Path(os.path.realpath(sys.executable)).parent)
    return tuple(paths + _import_dirs(entries))


def interpreter_paths(extra: Iterable[Path] = ()) -> list[Path]:
    """Everything the interpreter and the build tools must read: also what mount masks keep.

    Cached per ``sys.path``: ``probe()`` in the zygote warms it, so forked workers skip the
    few milliseconds of path resolution.
    """
    return [*_base_paths(tuple(sys.path)), *(Path(p) for p in extra)]


def _fs_rights(abi: int) -> int:
    rights = (1 << 13) - 1
    if abi >= 2:
        rights |= REFER
    if abi >= 3:
        rights |= TRUNCATE
    if abi >= 5:
        rights |= IOCTL_DEV
    return rights


def _add_rule(ruleset: int, path: Path, rights: int, handled: int) -> None:
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except OSError:
        return  # absent, or unreachable for this uid: nothing to grant
    try:
        if not stat.S_ISDIR(os.fstat(fd).st_mode):
            rights &= _FILE_RIGHTS  # rules on files take file rights only, else EINVAL
        rule = _PathBeneath(rights & handled, fd)
        _libc.syscall(_ADD_RULE, ctypes.c_int(ruleset), ctypes.c_int(_RULE_PATH_BENEATH), ctypes.byref(rule), 0)
    finally:
        os.close(fd)


def restrict(read: Iterable[Path], write: Iterable[Path], devices: Iterable[Path]) -> int:
    """Confine the calling thread (and its future children) to the given paths.

    ``read`` gets read+execute beneath, ``write`` every right beneath, ``devices`` read/write on
    single device files such as ``/dev/null``. TCP bind/connect is handled with no rule, so all
    TCP is denied (ABI >= 4). Returns the ABI used.

    Raises:
        OSError: Landlock is unavailable or refused the ruleset.
    """
    abi = abi_version()
    if abi < 1:
        raise OSError(95, "Landlock is not available")
    handled = _fs_rights(abi)
    attr = _RulesetAttr(handled, _TCP_BIND_CONNECT if abi >= 4 else 0, _SCOPES if abi >= 6 else 0)
    size = 24 if abi >= 6 else 16 if abi >= 4 else 8
    ruleset = _libc.syscall(_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size), ctypes.c_uint32(0))
    try:
        for path in read:
            _add_rule(ruleset, path, READ_ONLY, handled)
        for path in devices:
            _add_rule(ruleset, path, READ_FILE | WRITE_FILE | TRUNCATE | IOCTL_DEV, handled)
        for path in write:
            _add_rule(ruleset, path, handled, handled)
        _libc.prctl(_libc.PR_SET_NO_NEW_PRIVS, 1)
        _libc.syscall(_RESTRICT_SELF, ctypes.c_int(ruleset), ctypes.c_uint32(0))
    finally:
        os.close(ruleset)
    return abi
