"""The few Linux calls the sandbox needs that Python 3.11's ``os`` module does not wrap.

Everything goes through one ``ctypes`` handle on the C library with ``use_errno=True``, so a
failing call becomes an ``OSError`` carrying the real errno (the fallback logic decides what
to do from that errno, never from a message).
"""

from __future__ import annotations

import ctypes
import os

_libc = ctypes.CDLL(None, use_errno=True)

# unshare(2) flags.
CLONE_NEWNS = 0x00020000
CLONE_NEWCGROUP = 0x02000000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
CLONE_THREAD = 0x00010000

# mount(2) flags.
MS_RDONLY = 0x1
MS_NOSUID = 0x2
MS_NODEV = 0x4
MS_NOEXEC = 0x8
MS_REMOUNT = 0x20
MS_BIND = 0x1000
MS_REC = 0x4000
MS_PRIVATE = 0x40000

# prctl(2) options.
PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_CAPBSET_DROP = 24
PR_SET_NO_NEW_PRIVS = 38
PR_CAP_AMBIENT = 47
PR_CAP_AMBIENT_CLEAR_ALL = 4

_LINUX_CAPABILITY_VERSION_3 = 0x20080522


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [
        ("effective", ctypes.c_uint32),
        ("permitted", ctypes.c_uint32),
        ("inheritable", ctypes.c_uint32),
    ]


def _check(ret: int) -> int:
    if ret == -1:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))
    return ret


def syscall(number: int, *args: object) -> int:
    """Raw ``syscall(2)``; arguments must already be ctypes values or pointers."""
    return _check(int(_libc.syscall(ctypes.c_long(number), *args)))


def prctl(option: int, arg2: int = 0, arg3: int = 0, arg4: int = 0, arg5: int = 0) -> int:
    return _check(
        int(
            _libc.prctl(
                ctypes.c_int(option),
                ctypes.c_ulong(arg2),
                ctypes.c_ulong(arg3),
                ctypes.c_ulong(arg4),
                ctypes.c_ulong(arg5),
            )
        )
    )


def unshare(flags: int) -> None:
    _check(int(_libc.unshare(ctypes.c_int(flags))))


def mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    def enc(value: str | None) -> bytes | None:
        return None if value is None else os.fsencode(value)

    _check(int(_libc.mount(enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data))))


def clear_capabilities() -> None:
    """Empty the effective, permitted and inheritable sets of the calling thread."""
    header = _CapHeader(_LINUX_CAPABILITY_VERSION_3, 0)
    data = (_CapData * 2)()
    _check(int(_libc.capset(ctypes.byref(header), ctypes.byref(data))))


def clearenv() -> None:
    _check(int(_libc.clearenv()))


def environ_strings() -> list[int]:
    """Addresses of the ``NAME=value`` strings the C-level ``environ`` array points to."""
    array = ctypes.POINTER(ctypes.c_void_p).in_dll(_libc, "environ")
    out: list[int] = []
    if not array:
        return out
    i = 0
    while array[i]:
        out.append(int(array[i]))
        i += 1
    return out


def wipe(address: int, size: int) -> None:
    ctypes.memset(address, 0, size)


def strlen(address: int) -> int:
    return len(ctypes.string_at(address))
