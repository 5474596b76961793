"""The machine profile: peak bandwidth and FLOP/s, with the metadata that says when it is stale."""

from __future__ import annotations

import contextlib
import importlib.metadata
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from assay.errors import WorkerError, WorkerTimeout

PROFILE_VERSION = 1
# The measurement takes about 6 s here; a generous limit still catches a hung or thrashing machine.
_MEASURE_TIMEOUT_S = 180.0


class Peak(BaseModel):
    """Peaks measured with a given number of threads."""

    model_config = ConfigDict(frozen=True)
    threads: int = Field(ge=1)
    bandwidth_bytes_per_s: float = Field(gt=0)
    flops_per_s: dict[str, float]


class MachineProfile(BaseModel):
    """What this machine can do at best, and what it was when measured."""

    model_config = ConfigDict(frozen=True)
    version: int = PROFILE_VERSION
    cpu_model: str
    cores: int
    memory_bytes: int
    torch_version: str
    hostname: str
    measured_at: datetime
    measure_seconds: float
    # One-minute load average when the measurement started (a diagnostic: it lags by a minute).
    load_average: float = 0.0
    # CPUs' worth of other processes' work during the measurement (`Contention`): from about 0.15 on, a
    # neighbour was busy and the peaks (the multi-threaded ones above all) are likely understated.
    foreign_cpus: float = 0.0
    peaks: tuple[Peak, ...]

    def peak(self, threads: int = 1) -> Peak:
        """The entry measured with the most threads not above `threads` (the smallest if none is)."""
        fitting = [p for p in self.peaks if p.threads <= threads]
        if fitting:
            return max(fitting, key=lambda p: p.threads)
        return min(self.peaks, key=lambda p: p.threads)


def cache_path() -> Path:
    """`${XDG_CACHE_HOME:-~/.cache}/assay/machine.json`."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "assay" / "machine.json"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def _memory_bytes() -> int:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def current_metadata() -> dict[str, object]:
    """Metadata of this machine as it is now; cheap (torch's version is read without importing it)."""
    return {
        "cpu_model": _cpu_model(),
        "cores": len(os.sched_getaffinity(0)),
        "memory_bytes": _memory_bytes(),
        "torch_version": importlib.metadata.version("torch"),
        "hostname": socket.gethostname(),
    }


def _still_valid(profile: MachineProfile, meta: dict[str, object]) -> bool:
    # Only what changes the peaks: a new hostname or more memory with the same CPU does not.
    return (profile.cpu_model, profile.cores, profile.torch_version) == (
        meta["cpu_model"],
        meta["cores"],
        meta["torch_version"],
    )


def load_cached() -> MachineProfile | None:
    """The cached profile if it parses and matches this machine's CPU, cores and torch; never measures."""
    path = cache_path()
    try:
        profile = MachineProfile.model_validate_json(path.read_text())
    except (OSError, ValidationError, ValueError):
        return None
    if profile.version != PROFILE_VERSION or not _still_valid(profile, current_metadata()):
        return None
    return profile


def _run_measurement(quick: bool = False) -> dict[str, object]:
    cmd = [sys.executable, "-m", "assay.machine._measure", *(["--quick"] if quick else [])]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=_MEASURE_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        raise WorkerTimeout(f"machine measurement did not finish in {_MEASURE_TIMEOUT_S:.0f} s") from None
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        tail = proc.stderr.strip().splitlines()[-1:] or ["no output"]
        raise WorkerError(f"machine measurement failed (exit {proc.returncode}): {tail[0]}")
    result: dict[str, object] = json.loads(lines[-1])
    return result


def _write_cache(profile: MachineProfile) -> None:
    path = cache_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    # Write then rename: a reader never sees half a file, even if two measurements race.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".machine.", suffix=".json")
    with os.fdopen(fd, "w") as f:
        f.write(profile.model_dump_json(indent=2))
    os.replace(tmp, path)


def measure(refresh: bool = False, *, quick: bool = False) -> MachineProfile:
    """The machine profile: the cached one when still valid, otherwise measured now (about 6 s) and cached.

    Args:
        refresh: measure even when a valid cached profile exists.
        quick: small sizes and few repeats (for tests); the result is still cached.

    Raises:
        WorkerError: the measurement subprocess failed.
        WorkerTimeout: it did not finish in time.
    """
    if not refresh:
        cached = load_cached()
        if cached is not None:
            return cached
    raw = _run_measurement(quick)
    profile = MachineProfile.model_validate(
        {**current_metadata(), **raw, "measured_at": datetime.now(UTC), "version": PROFILE_VERSION}
    )
    with contextlib.suppress(OSError):  # a read-only cache costs a re-measurement next time, nothing else
        _write_cache(profile)
    return profile
