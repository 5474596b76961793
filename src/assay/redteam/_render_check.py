"""Every row's result printed through the terminal renderers: what a candidate wrote must come out as text.

A candidate controls its exception's class name and message, and through them `message`, flag evidence and
scan notes. Rendered to a string (no colours, no width limit), the report must hold no control character
but newlines, no escape sequence, no lone surrogate and no bidirectional override; every line of candidate
text must appear literally (markup that rich interpreted would be missing from the output); and column 0
must hold exactly one verdict line, the real one, while the log line is one line that starts with the real
verdict. The JSON form must encode.
"""

from __future__ import annotations

import io
import re

from assay.evaluate import EvalResult
from assay.report import make_console, render_result, result_line, safe_text

_UNPRINTABLE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _literal_pieces(result: EvalResult) -> list[str]:
    """The lines of candidate-controlled text as the report must show them."""
    texts = [result.message, *(f.evidence for f in result.flags), *result.scan[:6], *result.warnings]
    texts += [str(g) for g in result.isolation.get("gaps") or []]
    pieces = [p for t in texts for p in safe_text(t, markup=False).split("\n")]
    pieces += [safe_text(t, markup=False, one_line=True) for t in (result.task, result.candidate)]
    return [p.strip() for p in pieces if p.strip()]


def render_report(result: EvalResult) -> str:
    """The `assay eval` view of `result`, as a log file would receive it."""
    buffer = io.StringIO()
    render_result(result, make_console(file=buffer))
    return buffer.getvalue()


def rendering_problems(result: EvalResult) -> list[str]:
    """Why printing `result` lets candidate text steer the report (empty when it does not)."""
    try:
        view, line = render_report(result), result_line(result)
        result.model_dump_json()
    except Exception as exc:
        return [f"the report could not be printed: {type(exc).__name__}: {safe_text(exc, markup=False)[:200]}"]
    problems = []
    bad = sorted({repr(c) for c in _UNPRINTABLE.findall(view + line)})
    if bad:
        problems.append(f"the printed report holds control characters {', '.join(bad[:5])}")
    visible = view.replace("\u200b", "")  # the zero-width spaces safe_text puts after backslashes
    missing = [p for p in _literal_pieces(result) if p not in visible]
    if missing:
        problems.append(f"candidate text was interpreted as markup, not printed: {missing[0][:120]!r}")
    headers = [row for row in view.splitlines() if row.startswith("assay eval ")]
    if len(headers) != 1 or not headers[0].rstrip().endswith(f": {result.verdict}"):
        problems.append(f"the report's verdict lines at column 0 are {headers!r}, not one saying {result.verdict}")
    if "\n" in line or not line.startswith(f"{result.verdict} "):
        problems.append(f"the log line is not one line starting with the verdict: {line[:120]!r}")
    return problems
