"""``enter()`` and ``lockdown()``: the order of docs/sandbox.md 6.1, strongest layer first,
falling back and reporting instead of crashing unless the caller required a level.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Sequence
from pathlib import Path

from assay.errors import SandboxError
from assay.sandbox import _cgroups, _env, _landlock, _libc, _limits, _namespaces, _seccomp
from assay.sandbox._config import Isolation, SandboxConfig, assess, level_rank
from assay.sandbox._probe import probe

_host_pid: int | None = None
_seccomp_loaded = False


def host_pid() -> int:
    """Pid of the sandboxed process as the host sees it (what to SIGSTOP/SIGCONT/SIGKILL).

    Inside the pid namespace ``os.getpid()`` is 1, so the stub sends this value to the
    orchestrator instead. Before ``enter()`` it is simply ``os.getpid()``.
    """
    return os.getpid() if _host_pid is None else _host_pid


def _require(config: SandboxConfig, isolation: Isolation) -> None:
    if config.require is not None and level_rank(isolation.level) < level_rank(config.require):
        raise SandboxError(
            f"strict isolation requested but only {isolation.level} is available here: " + "; ".join(isolation.gaps)
        )


def _tie_to_parent() -> None:
    """PDEATHSIG, then make sure the parent did not die before it was armed (P8)."""
    parent = os.getppid()
    _libc.prctl(_libc.PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(1)


def _namespaces_and_mounts(scratch: Path, config: SandboxConfig, keep: list[Path]) -> tuple[list[str], list[str]]:
    global _host_pid
    uid, gid = os.getuid(), os.getgid()
    try:
        layers = list(_namespaces.unshare(uid, gid))
    except OSError as e:
        return [], [f"namespaces unavailable ({e.strerror})"]
    # Only the new pid 1 comes back from here; the caller's process stays outside as a relay.
    _host_pid = _namespaces.fork_init(_cgroups.remover())
    try:
        more, gaps = _namespaces.private_view(scratch, config.limits.scratch_bytes, keep)
    except OSError as e:
        return [x for x in layers if x != "mountns"], [f"private mounts failed ({e.strerror})"]
    return layers + more, gaps


def enter(config: SandboxConfig, keep_fds: Sequence[int] = ()) -> Isolation:
    """Sandbox the calling process before untrusted code is imported.

    Call it in a freshly forked, single-threaded worker. With namespaces available this forks
    once more: the calling process becomes a relay that waits and exits with the sandbox's
    status (re-raising its fatal signal), and only the new process, pid 1 of its own pid
    namespace, returns. Afterwards the process may still fork and exec (compilers for
    ``load_inline``), but only ``keep_fds`` and 0-2 stay open, and only scratch is writable.

    Raises:
        SandboxError: ``config.require`` cannot be met (checked by ``probe()`` before anything
            changes, and again against what was applied), or the process is multi-threaded.
    """
    global _seccomp_loaded
    if len(os.listdir("/proc/self/task")) > 1:
        raise SandboxError("sandbox.enter() needs a single-threaded process (fork a fresh worker first)")
    if config.require is not None:
        _require(config, probe())
    uid = os.getuid()
    scratch = Path(os.path.realpath(config.scratch))
    if not scratch.is_dir():
        raise SandboxError(f"sandbox scratch directory {scratch} does not exist")
    read_paths = _landlock.interpreter_paths(config.readable)
    layers, gaps = ["pdeathsig"], []
    _tie_to_parent()

    ns_layers, ns_gaps = _namespaces_and_mounts(scratch, config, read_paths)
    layers += ns_layers
    gaps += ns_gaps
    if os.geteuid() == 0:
        layers += _cgroups.join(host_pid(), config.limits)
    try:
        _limits.drop_capabilities()
        layers.append("caps-dropped")
    except OSError as e:
        gaps.append(f"capabilities not dropped ({e.strerror})")
    try:
        _limits.apply_rlimits(config.limits, address_space=not config.devices)
    except (OSError, ValueError) as e:
        raise SandboxError(f"could not set resource limits: {e}") from e
    layers.append("rlimits")
    if config.devices:
        gaps.append("no RLIMIT_AS with a GPU (the CUDA driver needs large virtual ranges); GPU memory is not limited")
    try:
        os.chdir(scratch)
    except OSError as e:
        raise SandboxError(f"sandbox scratch {scratch} is unreachable after mounting: {e}") from e
    _env.scrub_environment(scratch)
    layers.append("env-scrubbed")
    _env.close_fds(keep_fds)
    layers.append("fds-closed")
    if config.cpu is not None:
        _limits.pin_cpu(config.cpu)
        layers.append("cpu-pinned")

    # /proc/self resolves to /proc/<pid> of the /proc now mounted (1 inside the pid namespace).
    own_proc = Path("/proc") / os.readlink("/proc/self")
    try:
        abi = _landlock.restrict([*read_paths, own_proc], [scratch], [Path("/dev/null"), *config.devices])
        layers.append(f"landlock-abi{abi}")
    except OSError as e:
        gaps.append(f"Landlock refused ({e.strerror})")
    try:
        _seccomp.load_build_profile()
        _seccomp_loaded = True
        layers.append("seccomp")
    except OSError as e:
        gaps.append(f"seccomp refused ({e.strerror})")

    isolation = assess(tuple(layers), uid, tuple(gaps))
    _require(config, isolation)
    return isolation


def lockdown() -> None:
    """Forbid new processes, exec, sockets and memfd from now on; threads keep working.

    Call after the candidate is constructed and before any timed or checked call. A no-op when
    seccomp is unavailable (``enter()`` already reported that gap).

    Raises:
        SandboxError: seccomp is available but refused the filter.
    """
    if not _seccomp.AVAILABLE:
        return
    try:
        _seccomp.load_lockdown_profile()
    except OSError as e:
        if _seccomp_loaded:
            raise SandboxError(f"could not load the lockdown seccomp filter: {e}") from e
