"""Bench results files (JSON lines): what a row is, how it is keyed, and the formats a run is printed in.

A row is an `EvalResult` (or an `EvalError`, `verdict` null, for an evaluation that could not run) with one
more field, `key`: a hash of the task's source and spec, the candidate's bytes and the options that change a
verdict. A rerun with the same `--out` skips a pair only when its key is already there with a verdict, so an
edited candidate, an edited task or another `--timeout` is evaluated again; an error row is retried.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from assay.evaluate import RESULT_VERSION, EvalError, EvalResult
from assay.report import safe_text, speed_text
from assay.tasks import Task

Row = EvalResult | EvalError


def result_key(task: Task, candidate: Path, settings: dict[str, Any]) -> str:
    """The hash that identifies one evaluation: task source and spec, candidate bytes, verdict-changing options.

    Raises:
        OSError: a file cannot be read.
    """
    digest = hashlib.sha256()
    parts = (
        task.task_file.read_bytes(),
        task.spec.model_dump_json().encode(),
        candidate.read_bytes(),
        json.dumps({**settings, "result_version": RESULT_VERSION}, sort_keys=True).encode(),
    )
    for part in parts:
        digest.update(len(part).to_bytes(8, "big") + part)
    return digest.hexdigest()


@dataclass(frozen=True)
class KeyedRow:
    key: str
    row: Row


def parse_row(line: str) -> KeyedRow | None:
    """One line of a results file; None for a line cut short by a kill or not a row at all."""
    try:
        data = json.loads(line)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    key = str(data.pop("key", ""))
    try:
        row: Row = EvalError.model_validate(data) if data.get("verdict") is None else EvalResult.model_validate(data)
    except ValidationError:
        return None
    return KeyedRow(key, row)


def read_rows(path: Path) -> list[KeyedRow]:
    """Every readable row of a results file, in order (a missing file has none).

    Raises:
        OSError: the file exists but cannot be read.
    """
    if not path.exists():
        return []
    rows = (parse_row(line) for line in path.read_text(errors="replace").splitlines())
    return [r for r in rows if r is not None]


def done_results(path: Path | None) -> dict[str, EvalResult]:
    """The verdicts already in a results file, by key; the last one wins. Old rows without a key never match."""
    if path is None:
        return {}
    return {r.key: r.row for r in read_rows(path) if r.key and isinstance(r.row, EvalResult)}


def append_row(path: Path, key: str, row: Row) -> None:
    """Add one row, whole, at the end of the file (a line that a kill cuts short is skipped when read)."""
    with path.open("a") as f:
        f.write(json.dumps({**row.model_dump(mode="json"), "key": key}) + "\n")


def json_report(rows: Sequence[Row], summary: dict[str, object]) -> str:
    """`--format json`: one object with every row and the suite's figures."""
    return json.dumps(
        {"version": RESULT_VERSION, "results": [r.model_dump(mode="json") for r in rows], "summary": summary}
    )


_COLUMNS = (
    *("task", "candidate", "verdict", "speedup", "ci_low", "ci_high", "comparison", "reference_ms"),
    *("candidate_ms", "flags", "message", "elapsed_s"),
)


def _cells(row: Row) -> list[str]:
    if isinstance(row, EvalError):
        return [row.task, row.candidate, "error", "", "", "", "", "", "", "", f"{row.error}: {row.message}", ""]
    low, high = row.speedup_ci or (None, None)
    values: list[object] = [row.task, row.candidate, row.verdict, row.speedup, low, high, row.comparison]
    values += [row.reference_ms, row.candidate_ms, " ".join(f.id for f in row.flags), row.message, row.elapsed_s]
    return ["" if v is None else str(v) for v in values]


def csv_report(rows: Sequence[Row]) -> str:
    """`--format csv`: one line per row; text fields on one line, control characters removed."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(_COLUMNS)
    for row in rows:
        writer.writerow([safe_text(c, markup=False, one_line=True) for c in _cells(row)])
    return out.getvalue()


def _md(text: str) -> str:
    return safe_text(text, markup=False, one_line=True).replace("\\", "\\\\").replace("|", "\\|")


def markdown_report(rows: Sequence[Row], summary_line: str) -> str:
    """`--format markdown`: a table for a pull request or a notes file, and the summary line."""
    lines = ["| task | candidate | verdict | speedup [95% CI] | note |", "|---|---|---|---|---|"]
    for row in rows:
        if isinstance(row, EvalError):
            cells = [row.task, row.candidate, "error", "", f"{row.error}: {row.message}"]
        else:
            note = row.message or ", ".join(f.id for f in row.flags)
            cells = [row.task, row.candidate, str(row.verdict), speed_text(row), note]
        lines.append("| " + " | ".join(_md(c) for c in cells) + " |")
    return "\n".join([*lines, "", summary_line]) + "\n"
