"""Roofline bounds: the fastest a call with given work could possibly run on this machine."""

from __future__ import annotations

from assay.errors import ConfigError
from assay.machine._profile import MachineProfile


def roofline_floor_s(
    profile: MachineProfile, flops: float, bytes: float, dtype: str = "float32", threads: int = 1
) -> float:
    """Lower bound on one call's time: max(bytes / peak bandwidth, flops / peak FLOP/s for `dtype`).

    Raises:
        ConfigError: `dtype` was not measured, or the work is negative.
    """
    if flops < 0 or bytes < 0:
        raise ConfigError(f"work must be non-negative, got flops={flops} and bytes={bytes}")
    peak = profile.peak(threads)
    if dtype not in peak.flops_per_s:
        known = ", ".join(sorted(peak.flops_per_s))
        raise ConfigError(f"no peak FLOP/s measured for dtype {dtype!r} (measured: {known})")
    return max(bytes / peak.bandwidth_bytes_per_s, flops / peak.flops_per_s[dtype])


def roofline_fraction(
    profile: MachineProfile,
    flops: float,
    bytes: float,
    seconds: float,
    dtype: str = "float32",
    threads: int = 1,
) -> float:
    """How close a measured time is to the roofline: floor / seconds (1.0 is the machine's peak).

    A value above 1 is physically impossible and means the work is overstated or the timing is wrong.

    Raises:
        ConfigError: `seconds` is not positive, `dtype` was not measured, or the work is negative.
    """
    if seconds <= 0:
        raise ConfigError(f"a measured time must be positive, got {seconds}")
    return roofline_floor_s(profile, flops, bytes, dtype, threads) / seconds
