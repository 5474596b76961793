"""Predict the isolation level without touching the calling process.

A throwaway child tries each kernel feature for real (never trust version numbers: a container
seccomp policy or AppArmor can block user namespaces or Landlock on a kernel that has them,
P17) and reports one bit per feature in its exit status. Cost: two forks, about 20-40 ms from a
process that imported torch. The answer is cached per (uid, euid, gid, seccomp filter count),
so a zygote that probes once hands the answer to every worker it forks, and a process that
later stacked its own seccomp filter probes again.
"""

from __future__ import annotations

import os

from assay.sandbox import _cgroups, _landlock, _libc, _namespaces, _seccomp
from assay.sandbox._config import Isolation, assess

_NAMESPACES = 1
_MOUNTS = 2
_SECCOMP = 4
_LANDLOCK = 8

_cache: dict[tuple[int, int, int, str], Isolation] = {}


def _seccomp_state() -> str:
    try:
        with open("/proc/self/status") as f:
            return ",".join(line.split()[1] for line in f if line.startswith("Seccomp"))
    except OSError:
        return "?"


def _try_mounts() -> int:
    """In the new pid + mount namespace: the mounts ``private_view`` needs."""
    try:
        _libc.mount(None, "/", None, _libc.MS_REC | _libc.MS_PRIVATE)
        _libc.mount("proc", "/proc", "proc", _libc.MS_NOSUID | _libc.MS_NODEV | _libc.MS_NOEXEC)
        _libc.mount("tmpfs", "/tmp", "tmpfs", _libc.MS_NOSUID | _libc.MS_NODEV, "size=64k")
    except OSError:
        return 0
    return _MOUNTS


def _child() -> int:
    bits = 0
    try:
        _namespaces.unshare(os.getuid(), os.getgid())
        bits |= _NAMESPACES
        pid = os.fork()
        if pid == 0:
            os._exit(_try_mounts())
        _, status = os.waitpid(pid, 0)
        if os.WIFEXITED(status):
            bits |= os.WEXITSTATUS(status) & _MOUNTS
    except OSError:
        pass
    if _seccomp.AVAILABLE and _seccomp.probe_load():
        bits |= _SECCOMP
    try:
        _landlock.restrict([], [], [])  # deny-all: this child only exits afterwards
        bits |= _LANDLOCK
    except OSError:
        pass
    return bits


def _run_child() -> int:
    pid = os.fork()
    if pid == 0:
        bits = 0
        try:
            bits = _child()
        finally:
            os._exit(bits)
    _, status = os.waitpid(pid, 0)
    return os.WEXITSTATUS(status) if os.WIFEXITED(status) else 0


def probe() -> Isolation:
    """Which isolation ``enter()`` would reach here for this user, without changing anything.

    Safe to call in a zygote before forking workers; the result is cached in-process.
    """
    uid = os.getuid()
    key = (uid, os.geteuid(), os.getgid(), _seccomp_state())
    cached = _cache.get(key)
    if cached is not None:
        return cached
    bits = _run_child()
    layers = ["pdeathsig"]
    if bits & _NAMESPACES and bits & _MOUNTS:
        layers += ["pidns", "netns", "mountns", "ipcns", "utsns"]
        layers += ["userns"] if uid != 0 else []
        layers += ["masked-dirs", "tmpfs-scratch"]
    layers += [f"cgroup-{ctl}" for ctl in _cgroups.available()]
    layers += ["caps-dropped", "rlimits", "env-scrubbed", "fds-closed"]
    if bits & _LANDLOCK:
        layers.append(f"landlock-abi{_landlock.abi_version()}")
    if bits & _SECCOMP:
        layers.append("seccomp")
    result = assess(tuple(layers), uid)
    _cache[key] = result
    return result
