"""Timing statistics: the paired speedup of interleaved rounds, its bootstrap interval, and the decision rule."""

from assay.timing._stats import Speedup, approx_halfwidth, paired_bootstrap, paired_speedup, robust_sd, trimmed_mean

__all__ = ["Speedup", "approx_halfwidth", "paired_bootstrap", "paired_speedup", "robust_sd", "trimmed_mean"]
