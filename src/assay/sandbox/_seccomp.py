"""seccomp deny-lists (docs/sandbox.md 8.2), built with pyseccomp.

A deny-list with a default of ALLOW, because torch's syscall set is large and changes between
versions. Two stacked filters: ``build`` at ``enter()`` (compilers may fork and exec) and
``lockdown`` before any timed or checked call (no new processes, no exec, no sockets). Filters
only ever add restrictions, so the candidate cannot undo either one.

Foreign architectures (i386 via ``int 0x80``) are killed by libseccomp's default bad-arch
action, which closes the classic 32-bit bypass of a deny-list.
"""

from __future__ import annotations

import errno
import os
from typing import Any


def _import_pyseccomp() -> Any:
    try:
        import pyseccomp
    except (ImportError, RuntimeError, OSError):  # RuntimeError: libseccomp.so.2 is missing
        return None
    return pyseccomp


_sc: Any = _import_pyseccomp()

AVAILABLE = _sc is not None

_DENIED_ALWAYS = (
    "ptrace", "process_vm_readv", "process_vm_writev", "process_madvise",
    "pidfd_open", "pidfd_getfd", "pidfd_send_signal", "tkill",
    "unshare", "setns", "mount", "umount2", "pivot_root", "chroot",
    "mount_setattr", "move_mount", "open_tree", "fsopen", "fsmount", "fspick",
    "bpf", "perf_event_open", "keyctl", "add_key", "request_key", "userfaultfd",
    "io_uring_setup", "io_uring_enter", "io_uring_register",
    "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module",
    "open_by_handle_at", "name_to_handle_at", "quotactl", "quotactl_fd",
    "swapon", "swapoff", "reboot", "syslog", "acct", "vhangup", "ioperm", "iopl",
    "settimeofday", "clock_settime", "clock_adjtime", "adjtimex", "personality",
    "memfd_create", "memfd_secret",
    "sched_setaffinity",  # the candidate must not unpin itself from the CPU it is timed on
    # Timers: a frozen candidate must have no way to wake itself (a timer delivering SIGCONT), and no interrupt
    # source that fires while the reference is timed (a timer's interrupts bill whoever runs). Compilers and
    # torch.compile arm none; the worker itself is frozen and resumed from outside.
    "timer_create", "timer_settime", "setitimer", "alarm", "timerfd_create", "timerfd_settime", "mq_notify",
)  # fmt: skip
_DENIED_AT_LOCKDOWN = ("fork", "vfork", "execve", "execveat")

_NAMESPACE_FLAGS = (0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000)
_CLONE_THREAD = 0x00010000
_TIOCSTI = 0x5412
_TIOCLINUX = 0x541C
_F_SETOWN = 8
_F_SETOWN_EX = 15
_F_SETSIG = 10  # the signal an fd's events send (SIGCONT would wake a frozen process)
_F_SETLEASE = 1024  # a lease break signals the holder
_F_NOTIFY = 1026  # dnotify: a directory change signals the watcher
_LOW32 = 0xFFFFFFFF


def _deny(flt: Any, action: int, name: str, *args: Any) -> None:
    """Add one rule; any failure other than an unknown name propagates (no silent holes)."""
    if _sc.resolve_syscall(_sc.Arch.NATIVE, name) < 0:
        # Names this architecture lacks (fork on arm64) or this libseccomp predates. The
        # latter stay callable: the privileged ones among them still fail on the dropped
        # capabilities, which is why caps are dropped even inside a user namespace.
        return
    flt.add_rule(action, name, *args)


def _new_filter() -> Any:
    if _sc is None:
        raise OSError(errno.ENOSYS, "pyseccomp/libseccomp is not installed")
    flt = _sc.SyscallFilter(_sc.ALLOW)
    # TSYNC: threads the candidate started during the build phase get the filter too.
    flt.set_attr(_sc.Attr.CTL_TSYNC, 1)
    return flt


def load_build_profile() -> None:
    """Deny escapes, keep fork/exec for compilers; no sockets at all.

    ``load_inline`` (g++, ninja) needs no socket, so every family is denied, AF_UNIX included:
    Landlock ABI 7 cannot stop ``connect()`` to a pathname socket such as docker.sock (P1).
    """
    flt = _new_filter()
    eperm = _sc.ERRNO(errno.EPERM)
    for name in _DENIED_ALWAYS:
        _deny(flt, eperm, name)
    me = os.getpid()  # 1 inside the pid namespace; raise() uses tgkill(getpid(), ...)
    for name in ("kill", "tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo"):
        # NE on the full 64-bit value is the safe direction: only exactly `me` passes.
        _deny(flt, eperm, name, _sc.Arg(0, _sc.NE, me))
    for cmd in (_TIOCSTI, _TIOCLINUX):  # keystroke injection into the caller's terminal
        _deny(flt, eperm, "ioctl", _sc.Arg(1, _sc.MASKED_EQ, _LOW32, cmd))
    for cmd in (_F_SETOWN, _F_SETOWN_EX, _F_SETSIG, _F_SETLEASE, _F_NOTIFY):  # signals sent later, by others
        _deny(flt, eperm, "fcntl", _sc.Arg(1, _sc.MASKED_EQ, _LOW32, cmd))
    for flag in _NAMESPACE_FLAGS:  # clone(CLONE_NEW*) is unshare by another name
        _deny(flt, eperm, "clone", _sc.Arg(0, _sc.MASKED_EQ, flag, flag))
    # clone3 passes its flags in memory, which seccomp cannot read: ENOSYS makes glibc fall
    # back to clone(), whose flags we can check. Threads and fork keep working.
    _deny(flt, _sc.ERRNO(errno.ENOSYS), "clone3")
    _deny(flt, _sc.ERRNO(errno.EACCES), "socket")
    flt.load()


def load_lockdown_profile() -> None:
    """Stack the run-time filter: no fork, no exec, no memfd; threads still work (P14)."""
    flt = _new_filter()
    eperm = _sc.ERRNO(errno.EPERM)
    for name in (*_DENIED_AT_LOCKDOWN, "memfd_create", "memfd_secret"):
        _deny(flt, eperm, name)
    _deny(flt, eperm, "clone", _sc.Arg(0, _sc.MASKED_EQ, _CLONE_THREAD, 0))
    _deny(flt, _sc.ERRNO(errno.ENOSYS), "clone3")
    _deny(flt, _sc.ERRNO(errno.EACCES), "socket")
    flt.load()
