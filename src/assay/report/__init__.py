"""Reports for people: suite figures (fast_p, geometric means), the terminal views, and safe text."""

from assay.report._compare import Comparison, compare, compare_candidates, compare_runs
from assay.report._machines import Machine, machine_of, machines_note, same_machine
from assay.report._suite import SuiteSummary, best_per_task, summarize
from assay.report._terminal import (
    isolation_text,
    make_console,
    note_text,
    render_result,
    result_line,
    speed_text,
    verdict_text,
)
from assay.report._text import safe_text

__all__ = [
    "Comparison",
    "Machine",
    "SuiteSummary",
    "best_per_task",
    "compare",
    "compare_candidates",
    "compare_runs",
    "isolation_text",
    "machine_of",
    "machines_note",
    "make_console",
    "note_text",
    "render_result",
    "result_line",
    "safe_text",
    "same_machine",
    "speed_text",
    "summarize",
    "verdict_text",
]
