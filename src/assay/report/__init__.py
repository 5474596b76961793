"""Reports for people: suite figures (fast_p, geometric means), the terminal views, and safe text."""

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
    "SuiteSummary",
    "best_per_task",
    "isolation_text",
    "make_console",
    "note_text",
    "render_result",
    "result_line",
    "safe_text",
    "speed_text",
    "summarize",
    "verdict_text",
]
