"""Machine: this machine's peak memory bandwidth and FLOP/s, measured once and cached, for roofline checks."""

from assay.machine._contention import BUSY_CPUS, Contention, contention_warning
from assay.machine._profile import MachineProfile, Peak, cache_path, load_cached, measure
from assay.machine._roofline import roofline_floor_s, roofline_fraction

__all__ = [
    "BUSY_CPUS",
    "Contention",
    "MachineProfile",
    "Peak",
    "cache_path",
    "contention_warning",
    "load_cached",
    "measure",
    "roofline_floor_s",
    "roofline_fraction",
]
