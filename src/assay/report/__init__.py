"""Reports for people: suite figures (fast_p, geometric means), the terminal views, safe text, and written
reports (`build_report`, `write_report`): an HTML page and its Markdown twin of a run, an environment or a bench
file, every claim of which a reviewer traces to the stored facts."""

from assay.report._claims import Claim, Number, find_numbers, parse_narrative, say
from assay.report._compare import Comparison, compare, compare_candidates, compare_runs
from assay.report._facts import Fact, Facts
from assay.report._machines import Machine, machine_of, machines_note, same_machine
from assay.report._review import Checked, Finding, check_claim, review
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
from assay.report._write import Report, build_report, source_kind, write_report

__all__ = [
    "Checked",
    "Claim",
    "Comparison",
    "Fact",
    "Facts",
    "Finding",
    "Machine",
    "Number",
    "Report",
    "SuiteSummary",
    "best_per_task",
    "build_report",
    "check_claim",
    "compare",
    "compare_candidates",
    "compare_runs",
    "find_numbers",
    "isolation_text",
    "machine_of",
    "machines_note",
    "make_console",
    "note_text",
    "parse_narrative",
    "render_result",
    "result_line",
    "review",
    "safe_text",
    "same_machine",
    "say",
    "source_kind",
    "speed_text",
    "summarize",
    "verdict_text",
    "write_report",
]
