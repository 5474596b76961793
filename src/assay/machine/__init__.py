"""Machine: this machine's peak memory bandwidth and FLOP/s, measured once and cached, for roofline checks."""

from assay.machine._profile import MachineProfile, Peak, cache_path, load_cached, measure
from assay.machine._roofline import roofline_floor_s, roofline_fraction

__all__ = [
    "MachineProfile",
    "Peak",
    "cache_path",
    "load_cached",
    "measure",
    "roofline_floor_s",
    "roofline_fraction",
]
