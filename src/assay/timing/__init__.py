"""Timing: the protocol's state machine (which round next, when to stop) and the statistics of its rounds."""

from assay.timing._schedule import Observed, Phase, Plan, Schedule, Step
from assay.timing._stats import (
    Sample,
    Speedup,
    TwinCheck,
    approx_halfwidth,
    mean_speedup,
    mean_times,
    robust_sd,
    speedup_interval,
    twin_check,
)

__all__ = [
    "Observed",
    "Phase",
    "Plan",
    "Sample",
    "Schedule",
    "Speedup",
    "Step",
    "TwinCheck",
    "approx_halfwidth",
    "mean_speedup",
    "mean_times",
    "robust_sd",
    "speedup_interval",
    "twin_check",
]
