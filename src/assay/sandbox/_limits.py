"""Resource limits and privilege drop.

rlimits are the one layer every level has (L0 included). Their known weaknesses decide what
else is needed: RLIMIT_FSIZE is per file, not a quota (P2); RLIMIT_AS ignores memfd page cache
(P3); RLIMIT_NPROC counts every task of the uid and is ignored for root (P4).
"""

from __future__ import annotations

import contextlib
import os
import resource

from assay.sandbox import _libc
from assay.sandbox._config import Limits


def _set(which: int, value: int) -> None:
    _, hard = resource.getrlimit(which)
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)  # lowering never needs privileges; raising past hard would
    resource.setrlimit(which, (value, value))


def tasks_of_uid(uid: int) -> int:
    """Threads of ``uid`` in the current /proc view, which is what RLIMIT_NPROC counts.

    Inside a fresh user + pid namespace this is the namespace's own count, matching the
    kernel's per-user-namespace accounting; outside it is the host-wide count (P4).
    """
    count = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            if entry.stat().st_uid == uid:
                count += len(os.listdir(f"/proc/{entry.name}/task"))
        except OSError:
            continue  # exited while we looked
    return count


def apply_rlimits(limits: Limits, *, address_space: bool = True) -> None:
    """Apply every rlimit; soft == hard so the candidate cannot raise any of them back.

    With soft == hard on RLIMIT_CPU the kernel sends SIGKILL directly: SIGXCPU would be
    ignored by a pid-namespace init, which the sandboxed process is.
    """
    if address_space:
        _set(resource.RLIMIT_AS, limits.memory_bytes)
    _set(resource.RLIMIT_CPU, limits.cpu_seconds)
    _set(resource.RLIMIT_FSIZE, limits.file_size_bytes)
    _set(resource.RLIMIT_NOFILE, limits.open_files)
    _set(resource.RLIMIT_CORE, 0)
    uid = os.getuid()
    base = 0 if uid == 0 else tasks_of_uid(uid)
    _set(resource.RLIMIT_NPROC, base + limits.processes)


def drop_capabilities() -> None:
    """Empty the bounding, effective, permitted, inheritable and ambient sets; set no_new_privs.

    For root this is what stops root-owned /proc files of other processes from being read
    despite Landlock's ptrace scoping (P6), and execve from handing capabilities back. In a
    user namespace it removes the namespace-root powers (mount, umount of our masks).
    """
    last = 63
    try:
        with open("/proc/sys/kernel/cap_last_cap") as f:
            last = int(f.read())
    except (OSError, ValueError):
        pass
    for cap in range(last + 1):
        with contextlib.suppress(OSError):  # EINVAL: a capability this kernel does not have
            _libc.prctl(_libc.PR_CAPBSET_DROP, cap)
    _libc.prctl(_libc.PR_CAP_AMBIENT, _libc.PR_CAP_AMBIENT_CLEAR_ALL)
    _libc.clear_capabilities()
    _libc.prctl(_libc.PR_SET_NO_NEW_PRIVS, 1)


def pin_cpu(cpu: int) -> None:
    os.sched_setaffinity(0, {cpu})
