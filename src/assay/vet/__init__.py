"""Vetting tasks: the checker that rejects a task a trivial answer could pass, the survey of a suite, and the
shrinking of problems too big for the machine. Runs task code in a probe worker (`_probe_worker`, trusted: never
a candidate) and the evaluator on a task's own solutions."""

from assay.vet._check import REASONS, CheckConfig, CheckResult, check_suite, check_task
from assay.vet._shrink import ShrinkResult, shrink_report, shrink_sizes
from assay.vet._survey import TaskSummary, summarize_suite

__all__ = [
    "REASONS",
    "CheckConfig",
    "CheckResult",
    "ShrinkResult",
    "TaskSummary",
    "check_suite",
    "check_task",
    "shrink_report",
    "shrink_sizes",
    "summarize_suite",
]
