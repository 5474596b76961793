"""Reports: suite figures (fast_p, geometric means) and, later, plots."""

from assay.report._suite import SuiteSummary, best_per_task, summarize

__all__ = ["SuiteSummary", "best_per_task", "summarize"]
