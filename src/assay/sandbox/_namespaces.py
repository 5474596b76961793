"""Pure-Python namespaces (docs/sandbox.md 8.3): no bwrap, no setuid helper.

Root keeps uid 0 and skips the user namespace: the interpreter lives under /root/.pyenv, which
no other uid may read (P13); Landlock and the capability drop do the confining instead (P5, P6).
Everyone else gets a user namespace mapping their own uid to itself.
"""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import stat
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

from assay.sandbox import _libc

# Hidden behind empty read-only tmpfs: pathname sockets (/run/docker.sock, P1), other users'
# homes, and every world-writable place, so nothing outside scratch is writable by accident.
MASKED = ("/tmp", "/var/tmp", "/dev/shm", "/run", "/root", "/home")
_MASK_OPTIONS = "size=1m,nr_inodes=4096,mode=0755"


def unshare(uid: int, gid: int) -> tuple[str, ...]:
    """Enter new namespaces (the pid namespace applies to our next child). Raises OSError."""
    flags = _libc.CLONE_NEWNET | _libc.CLONE_NEWIPC | _libc.CLONE_NEWUTS
    flags |= _libc.CLONE_NEWPID | _libc.CLONE_NEWNS
    layers = ["pidns", "netns", "mountns", "ipcns", "utsns"]
    if uid != 0:
        _libc.unshare(flags | _libc.CLONE_NEWUSER)
        # A process that changed uid (setresuid from root) is non-dumpable, which makes its
        # /proc/self files root-owned and the id maps below unwritable (EACCES).
        _libc.prctl(_libc.PR_SET_DUMPABLE, 1)
        with open("/proc/self/setgroups", "w") as f:
            f.write("deny")
        with open("/proc/self/uid_map", "w") as f:
            f.write(f"{uid} {uid} 1")
        with open("/proc/self/gid_map", "w") as f:
            f.write(f"{gid} {gid} 1")
        layers.append("userns")
    else:
        _libc.unshare(flags)
    return tuple(layers)


def _relay(child: int, on_exit: Callable[[int], None]) -> NoReturn:
    """Outside the pid namespace: wait for its init and exit the same way it did.

    Holds no descriptors, so the orchestrator sees EOF on its pipes when the sandbox dies.
    If this process is killed, PDEATHSIG takes the sandbox down with it (P8).
    """
    status = 1 << 8
    try:
        null = os.open("/dev/null", os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        os.closerange(3, 1 << 20)
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            # A Python handler inherited from the zygote would run Python code here; the default kills the
            # relay, and with it the sandbox. A signal the user ignores stays ignored: under `nohup`, a
            # hangup must not kill a candidate mid-call (it would read as a crash of the candidate).
            if signal.getsignal(sig) is not signal.SIG_IGN:
                signal.signal(sig, signal.SIG_DFL)
        _, status = os.waitpid(child, 0)
        on_exit(child)
    finally:
        if os.WIFSIGNALED(status):
            sig = signal.Signals(os.WTERMSIG(status))
            with contextlib.suppress(OSError, ValueError):  # SIGKILL has no handler to reset
                resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
                signal.signal(sig, signal.SIG_DFL)
                signal.pthread_sigmask(signal.SIG_UNBLOCK, [sig])
            os.kill(os.getpid(), sig)
            os._exit(128 + sig)
        os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1)


def fork_init(on_exit: Callable[[int], None]) -> int:
    """Fork into the new pid namespace; only the child (its pid 1) returns, with its host pid.

    The host pid must be read before /proc is remounted: afterwards /proc/self says "1".
    """
    relay = os.getpid()
    child = os.fork()
    if child:
        _relay(child, on_exit)
    _libc.prctl(_libc.PR_SET_PDEATHSIG, signal.SIGKILL)
    host_pid = int(os.readlink("/proc/self"))
    with open("/proc/self/stat", "rb") as f:
        line = f.read()
    if int(line[line.rindex(b")") + 2 :].split()[1]) != relay:  # field 4, ppid, in host numbers
        os._exit(1)  # the relay died before PDEATHSIG was armed: nobody would kill us
    return host_pid


def _outermost(paths: list[Path]) -> list[Path]:
    kept: list[Path] = []
    for path in sorted(set(paths), key=lambda p: len(p.parts)):
        if not any(path.is_relative_to(k) for k in kept):
            kept.append(path)
    return kept


def _readonly(target: str) -> None:
    # MS_BIND makes this a per-mount change: without it, remount would set the flag on the
    # whole filesystem (superblock), possibly the host's root filesystem.
    flags = _libc.MS_REMOUNT | _libc.MS_BIND | _libc.MS_RDONLY | _libc.MS_NOSUID | _libc.MS_NODEV
    _libc.mount(None, target, None, flags)


def _mask(mask: str, keep: dict[Path, int], scratch: Path) -> None:
    """Empty tmpfs over ``mask``; bind ``keep`` back (read-only) and make scratch's mount point."""
    _libc.mount("tmpfs", mask, "tmpfs", _libc.MS_NOSUID | _libc.MS_NODEV, _MASK_OPTIONS)
    for path, fd in keep.items():
        if not path.is_relative_to(mask):
            continue
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            path.mkdir(parents=True, exist_ok=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch()
        _libc.mount(f"/proc/self/fd/{fd}", str(path), None, _libc.MS_BIND | _libc.MS_REC)
        # May fail on locked flags in a user namespace; Landlock keeps it read-only anyway.
        with contextlib.suppress(OSError):
            _readonly(str(path))
    if scratch.is_relative_to(mask):
        scratch.mkdir(parents=True, exist_ok=True)
    _readonly(mask)


def private_view(scratch: Path, scratch_bytes: int, keep: list[Path]) -> tuple[list[str], list[str]]:
    """Fresh /proc, masks over the writable and secret places, a size-limited scratch tmpfs.

    ``keep`` are the read allow-list: paths under a mask (e.g. the interpreter prefix under
    /root for root) are opened before masking and bound back read-only; a mask that is itself
    on the list (or below an entry) is not masked. Returns (layers, gaps).
    """
    layers: list[str] = []
    gaps: list[str] = []
    _libc.mount(None, "/", None, _libc.MS_REC | _libc.MS_PRIVATE)
    _libc.mount("proc", "/proc", "proc", _libc.MS_NOSUID | _libc.MS_NODEV | _libc.MS_NOEXEC)
    roots = _outermost([Path(os.path.abspath(p)) for p in keep])
    masks = []
    for mask in MASKED:
        if not os.path.isdir(mask) or os.path.islink(mask):
            continue
        if any(Path(mask).is_relative_to(k) for k in roots):
            gaps.append(f"{mask} is not masked: it is on the read allow-list")
            continue
        masks.append(mask)
    fds: dict[Path, int] = {}
    for path in roots:
        if any(path.is_relative_to(m) for m in masks):
            with contextlib.suppress(OSError):  # unreachable for this uid: nothing to keep
                fds[path] = os.open(path, os.O_PATH | os.O_CLOEXEC)
    try:
        for mask in masks:
            _mask(mask, fds, scratch)
    finally:
        for fd in fds.values():
            os.close(fd)
    layers.append("masked-dirs")
    # nr_inodes: inodes cost kernel memory that the size= cap does not count.
    options = f"size={scratch_bytes},nr_inodes=65536,mode=0700,uid={os.getuid()},gid={os.getgid()}"
    try:
        _libc.mount("tmpfs", str(scratch), "tmpfs", _libc.MS_NOSUID | _libc.MS_NODEV, options)
        layers.append("tmpfs-scratch")
    except OSError as e:
        gaps.append(f"scratch tmpfs failed ({e.strerror})")
    os.chdir(scratch)
    return layers, gaps
