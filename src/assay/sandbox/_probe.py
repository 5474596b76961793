"""Predict the isolation level without touching the calling process.

Namespaces are tried for real (never trust version numbers: a container seccomp policy or
AppArmor can block user namespaces on a kernel that has them, P17) by util-linux's ``unshare``
with ``--mount-proc``, started with posix_spawn. That costs 5-20 ms whatever the caller's size,
where forking a process that imported torch twice (the fallback) costs 50-130 ms on a busy
2-core box, most of it copying and tearing down the address space. Landlock and seccomp are
checked in-process with calls that change nothing. ``enter()`` re-checks ``require`` against
what it really applied, so a wrong guess here cannot weaken a run.

The answer is cached per (uid, euid, gid, seccomp state): a zygote that probes once hands the
answer to every worker it forks, and a process that stacked a seccomp filter probes again.
"""

from __future__ import annotations

import os
import shutil

from assay.sandbox import _cgroups, _landlock, _libc, _namespaces, _seccomp
from assay.sandbox._config import Isolation, assess

_PR_GET_SECCOMP = 21

_cache: dict[tuple[int, int, int, str], Isolation] = {}


def _seccomp_state() -> str:
    try:
        with open("/proc/self/status") as f:
            return ",".join(line.split()[1] for line in f if line.startswith(("Seccomp", "NoNewPrivs")))
    except OSError:
        return "?"


def _spawn_unshare(tool: str) -> bool:
    argv = [tool, "--pid", "--fork", "--mount", "--mount-proc", "--net", "--ipc", "--uts"]
    if os.getuid() != 0:
        argv[1:1] = ["--user", "--map-root-user"]  # same permission check as a self->self map
    null = [(os.POSIX_SPAWN_OPEN, fd, "/dev/null", os.O_RDWR, 0) for fd in (0, 1, 2)]
    try:
        pid = os.posix_spawn(tool, [*argv, "true"], {"PATH": "/usr/bin:/bin"}, file_actions=null)
    except OSError:
        return False
    return os.waitpid(pid, 0)[1] == 0


def _fork_and_unshare() -> bool:
    """Fallback without util-linux: the same steps as ``enter()`` in two throwaway processes."""
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            _namespaces.unshare(os.getuid(), os.getgid())
            inner = os.fork()
            if inner == 0:
                flags = _libc.MS_NOSUID | _libc.MS_NODEV | _libc.MS_NOEXEC
                mounted = False
                try:
                    _libc.mount(None, "/", None, _libc.MS_REC | _libc.MS_PRIVATE)
                    _libc.mount("proc", "/proc", "proc", flags)
                    _libc.mount("tmpfs", "/tmp", "tmpfs", flags, "size=64k")
                    mounted = True
                finally:
                    os._exit(0 if mounted else 1)
            code = os.waitpid(inner, 0)[1]
        finally:
            os._exit(1 if code else 0)
    return os.waitpid(pid, 0)[1] == 0


def _namespaces_work() -> bool:
    tool = shutil.which("unshare", path="/usr/bin:/bin")
    return _spawn_unshare(tool) if tool else _fork_and_unshare()


def _seccomp_works() -> bool:
    if not _seccomp.AVAILABLE:
        return False
    try:
        _libc.prctl(_PR_GET_SECCOMP)
    except OSError:
        return False  # kernel without seccomp
    return True


def probe() -> Isolation:
    """Which isolation ``enter()`` would reach here for this user, without changing anything.

    Safe to call in a zygote before forking workers; the result is cached in-process.
    """
    uid = os.getuid()
    key = (uid, os.geteuid(), os.getgid(), _seccomp_state())
    cached = _cache.get(key)
    if cached is not None:
        return cached
    _landlock.interpreter_paths()  # warm the cache that forked workers inherit
    layers = ["pdeathsig"]
    if _namespaces_work():
        layers += ["pidns", "netns", "mountns", "ipcns", "utsns"]
        layers += ["userns"] if uid != 0 else []
        layers += ["masked-dirs", "tmpfs-scratch"]
    layers += [f"cgroup-{ctl}" for ctl in _cgroups.available()]
    layers += ["caps-dropped", "rlimits", "env-scrubbed", "fds-closed"]
    abi = _landlock.abi_version()
    if abi:
        layers.append(f"landlock-abi{abi}")
    if _seccomp_works():
        layers.append("seccomp")
    result = assess(tuple(layers), uid)
    _cache[key] = result
    return result
