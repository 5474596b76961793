"""Timing statistics: paired bootstrap intervals on the ratio of medians, and the decision rule."""

from assay.timing._stats import Speedup, paired_bootstrap, ratio_of_medians, robust_sd

__all__ = ["Speedup", "paired_bootstrap", "ratio_of_medians", "robust_sd"]
