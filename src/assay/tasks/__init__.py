"""Tasks: KernelBench problem files and task folders (`task.py`, `task.toml`, `start.py`, `reference.py`).

Loading and describing a task only; vetting one (does it load, is it deterministic, can a trivial answer pass,
how far to shrink it) runs its code and the evaluator, and lives above both in `assay.vet`.
"""

from assay.tasks._load import Task, is_task, load_suite, load_task, top_level_names
from assay.tasks._sizes import apply_sizes, find_size_constants, is_size_name, size_floor
from assay.tasks._spec import DEFAULT_TOLERANCE, TaskSpec, Tolerance, Work

__all__ = [
    "DEFAULT_TOLERANCE",
    "Task",
    "TaskSpec",
    "Tolerance",
    "Work",
    "apply_sizes",
    "find_size_constants",
    "is_size_name",
    "is_task",
    "load_suite",
    "load_task",
    "size_floor",
    "top_level_names",
]
