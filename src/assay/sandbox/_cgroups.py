"""Per-sandbox cgroup (root only): the real process cap for root, and a memory cap that counts
page cache and tmpfs (P3, P4). cgroup v1 (one hierarchy per controller) and v2 are handled.

Lifetime: the cgroup is named ``assay-<host pid of the sandboxed process>`` and created next to
the caller's own cgroup. The relay process that ``enter()`` leaves outside the pid namespace
removes it as soon as the sandbox has exited, then sweeps ``assay-<pid>`` siblings whose pid is
gone (left behind when a relay was killed before it could clean up; named by a live pid they
are never touched, so a sandbox that is just being created is safe). Without a pid namespace
there is no relay: the orchestrator calls ``cleanup_cgroups(host_pid)`` after reaping the
worker, which also sweeps.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from assay.sandbox._config import Limits

_ROOT = Path("/sys/fs/cgroup")
_CONTROLLERS = ("pids", "memory")


def _name(host_pid: int) -> str:
    return f"assay-{host_pid}"


def _parents() -> list[tuple[str, Path]]:
    """(controller, the caller's own cgroup dir) for every controller we can reach from here."""
    out: list[tuple[str, Path]] = []
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return out
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if controllers:  # v1: one mount per controller (set)
            for ctl in _CONTROLLERS:
                if ctl in controllers.split(","):
                    out.append((ctl, _ROOT / controllers / path.lstrip("/")))
        elif (_ROOT / "cgroup.controllers").exists():  # pure v2
            parent = _ROOT / path.lstrip("/")
            try:
                enabled = (parent / "cgroup.subtree_control").read_text().split()
            except OSError:
                continue
            out += [(ctl, parent) for ctl in _CONTROLLERS if ctl in enabled]
    return out


def targets(name: str) -> list[tuple[str, Path]]:
    return [(ctl, parent / name) for ctl, parent in _parents()]


def _write(path: Path, value: str) -> None:
    with open(path, "w") as f:
        f.write(value)


def _limit(ctl: str, directory: Path, limits: Limits) -> None:
    if ctl == "pids":
        _write(directory / "pids.max", str(limits.processes))
    elif (directory / "memory.max").exists():  # v2
        _write(directory / "memory.max", str(limits.memory_bytes))
        if (directory / "memory.swap.max").exists():
            _write(directory / "memory.swap.max", "0")
    else:  # v1; memsw must stay >= limit_in_bytes, so it goes second
        _write(directory / "memory.limit_in_bytes", str(limits.memory_bytes))
        if (directory / "memory.memsw.limit_in_bytes").exists():
            _write(directory / "memory.memsw.limit_in_bytes", str(limits.memory_bytes))


def join(host_pid: int, limits: Limits) -> tuple[str, ...]:
    """Create the cgroup(s), set the limits and move the calling process in.

    Writes ``0`` to ``cgroup.procs`` (meaning "the writer"), which works from inside a pid
    namespace where our host pid number would be resolved in the wrong namespace.
    """
    layers: list[str] = []
    joined: set[Path] = set()
    for ctl, directory in targets(_name(host_pid)):
        try:
            directory.mkdir(exist_ok=True)  # exists already if a dead sandbox had our pid
            _limit(ctl, directory, limits)
            if directory not in joined:
                _write(directory / "cgroup.procs", "0")
                joined.add(directory)
        except OSError:
            continue
        layers.append(f"cgroup-{ctl}")
    return tuple(layers)


def available() -> tuple[str, ...]:
    """Controllers ``join`` would most likely reach (cheap, changes nothing)."""
    if os.geteuid() != 0:
        return ()
    return tuple(sorted({ctl for ctl, d in targets("probe") if os.access(d.parent, os.W_OK)}))


def _rmdir(directory: Path, tries: int) -> None:
    for _ in range(tries):
        try:
            directory.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:
            time.sleep(0.002)  # EBUSY: tasks still exiting


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, not ours to signal
    return True


def _remove(parents: list[tuple[str, Path]], host_pid: int) -> None:
    """Remove our cgroup, then the ones of dead sandboxes (host pid namespace only)."""
    dirs = {parent for _, parent in parents}  # v2: one directory for both controllers
    for parent in dirs:
        _rmdir(parent / _name(host_pid), 50)
    for parent in dirs:
        try:
            names = os.listdir(parent)
        except OSError:
            continue
        for name in names:
            pid = name.removeprefix("assay-")
            if name.startswith("assay-") and pid.isdigit() and not _alive(int(pid)):
                _rmdir(parent / name, 1)


def remover() -> Callable[[int], None]:
    """A cleanup bound to the cgroups visible now.

    The relay must resolve them before the sandbox remounts /proc: that mount is shared with
    the relay, and the relay's /proc/self does not exist in the sandbox's pid namespace.
    """
    parents = _parents()
    return lambda host_pid: _remove(parents, host_pid)


def cleanup_cgroups(host_pid: int) -> None:
    """Remove the cgroup of the sandbox whose host pid was ``host_pid``, once it is empty.

    Call it from a process in the same cgroup as the zygote (normally the orchestrator that
    started it). Safe to call more than once and for sandboxes that never had a cgroup.
    """
    _remove(_parents(), host_pid)
