"""Configuration values and the isolation report (levels as in docs/sandbox.md section 6.3)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from assay.errors import ConfigError

LEVELS = ("L0", "L1", "L2", "L3")
NAMESPACE_LAYERS = ("pidns", "netns", "mountns", "tmpfs-scratch")


@dataclass(frozen=True)
class Limits:
    """Resource ceilings for one sandboxed worker.

    The defaults leave room for ``load_inline`` builds (g++ peaks near 1 GiB of address
    space) while still stopping a runaway candidate well before the host notices.
    """

    memory_bytes: int = 8 << 30
    cpu_seconds: int = 300
    file_size_bytes: int = 256 << 20
    scratch_bytes: int = 512 << 20
    open_files: int = 256
    processes: int = 64

    def __post_init__(self) -> None:
        for name in ("memory_bytes", "cpu_seconds", "file_size_bytes", "scratch_bytes", "open_files"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"sandbox limit {name} must be positive, got {getattr(self, name)}")
        if self.processes < 0:
            raise ConfigError(f"sandbox limit processes must not be negative, got {self.processes}")


@dataclass(frozen=True)
class SandboxConfig:
    """What one worker may see and use.

    ``scratch`` must be an existing, empty directory made by the caller. Inside the sandbox it
    becomes a private tmpfs of ``limits.scratch_bytes`` (so nothing written there is visible to
    the host afterwards), or stays the plain directory when mount namespaces are unavailable.
    """

    scratch: Path
    limits: Limits = field(default_factory=Limits)
    readable: tuple[Path, ...] = ()
    cpu: int | None = None
    require: str | None = None
    # Device nodes opened read-write with ioctl (a GPU: /dev/nvidia*). With any, RLIMIT_AS is not set: the CUDA
    # driver reserves huge virtual ranges and fails under it (docs/sandbox.md 7); the cgroup limit still applies.
    devices: tuple[Path, ...] = ()

    def __post_init__(self) -> None:
        if self.require is not None and self.require not in LEVELS:
            raise ConfigError(f"unknown isolation level {self.require!r}; use one of {', '.join(LEVELS)}")
        if not Path(self.scratch).is_absolute():
            raise ConfigError(f"sandbox scratch must be an absolute path, got {self.scratch}")


@dataclass(frozen=True)
class Isolation:
    """What the sandbox actually applied, for the result file and the user."""

    level: str
    layers: tuple[str, ...]
    gaps: tuple[str, ...]
    uid: int

    def as_dict(self) -> dict[str, object]:
        return {"level": self.level, "layers": list(self.layers), "gaps": list(self.gaps), "uid": self.uid}

    def summary(self) -> str:
        parts = []
        if "pidns" in self.layers:
            parts.append("namespaces")
        if any(layer.startswith("landlock") for layer in self.layers):
            parts.append("landlock")
        if "seccomp" in self.layers:
            parts.append("seccomp")
        if "rlimits" in self.layers:
            parts.append("rlimits")
        if any(layer.startswith("cgroup") for layer in self.layers):
            parts.append("cgroups")
        return f"{self.level} ({' + '.join(parts) or 'no isolation'})"


def level_rank(level: str) -> int:
    return LEVELS.index(level)


def landlock_abi(layers: tuple[str, ...]) -> int:
    for layer in layers:
        if layer.startswith("landlock-abi"):
            return int(layer.removeprefix("landlock-abi"))
    return 0


def assess(layers: tuple[str, ...], uid: int, extra_gaps: tuple[str, ...] = ()) -> Isolation:
    """Derive the level and the plain-language gaps from the layers that were applied.

    Shared by ``probe()`` (predicted layers) and ``enter()`` (applied layers) so the two can
    never disagree on what a set of layers is worth.
    """
    have = set(layers)
    abi = landlock_abi(layers)
    gaps: list[str] = []
    if "pidns" not in have:
        gaps.append("shares the host pid space: processes it leaves behind are not killed with it (P7)")
    if "netns" not in have:
        gaps.append("no network namespace: the network is blocked only by seccomp and Landlock")
    if "tmpfs-scratch" not in have:
        gaps.append("no disk quota: scratch is a plain directory and RLIMIT_FSIZE is per file (P2)")
    if "mountns" not in have:
        gaps.append("no private /tmp, /run and /proc: the host's are visible (Landlock still applies)")
    if not abi:
        gaps.append("filesystem not confined: every file this uid can read or write is reachable")
    elif abi < 6:
        gaps.append(f"Landlock ABI {abi}: signals and abstract unix sockets are not scoped")
    if "seccomp" not in have:
        gaps.append("no syscall filter: fork, exec, sockets, ptrace and memfd stay allowed")
    if uid == 0 and "cgroup-pids" not in have:
        gaps.append("root ignores RLIMIT_NPROC (P4): processes are not capped during the build phase")
    if "cgroup-memory" not in have:
        gaps.append("memory capped by RLIMIT_AS only: memfd/tmpfs pages are not counted (P3)")
    if uid == 0 and "caps-dropped" not in have:
        gaps.append("runs as root with its capabilities (P5, P6)")
    gaps.extend(extra_gaps)

    ns = all(layer in have for layer in NAMESPACE_LAYERS)
    root_ok = uid != 0 or "caps-dropped" in have
    if abi and "seccomp" in have and "rlimits" in have:
        level = "L3" if ns and root_ok else "L2"
    elif "seccomp" in have and "rlimits" in have:
        level = "L1"
    else:
        level = "L0"
    return Isolation(level=level, layers=layers, gaps=tuple(gaps), uid=uid)
