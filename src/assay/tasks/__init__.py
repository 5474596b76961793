"""Tasks: KernelBench problem files and task folders (`task.py`, `task.toml`, `start.py`, `reference.py`)."""

from assay.tasks._check import REASONS, CheckConfig, CheckResult, check_suite, check_task
from assay.tasks._load import Task, is_task, load_suite, load_task, top_level_names
from assay.tasks._shrink import ShrinkResult, shrink_report, shrink_sizes
from assay.tasks._sizes import apply_sizes, find_size_constants, is_size_name, size_floor
from assay.tasks._spec import DEFAULT_TOLERANCE, TaskSpec, Tolerance, Work
from assay.tasks._survey import TaskSummary, summarize_suite

__all__ = [
    "DEFAULT_TOLERANCE",
    "REASONS",
    "CheckConfig",
    "CheckResult",
    "ShrinkResult",
    "Task",
    "TaskSpec",
    "TaskSummary",
    "Tolerance",
    "Work",
    "apply_sizes",
    "check_suite",
    "check_task",
    "find_size_constants",
    "is_size_name",
    "is_task",
    "load_suite",
    "load_task",
    "shrink_report",
    "shrink_sizes",
    "size_floor",
    "summarize_suite",
    "top_level_names",
]
