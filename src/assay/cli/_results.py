"""Bench results files (JSON lines): what a row is, how it is keyed, and the formats a run is printed in.

A row is an `EvalResult` (or an `EvalError`, `verdict` null, for an evaluation that could not run) with one
more field, `key`: a hash of the task's source and spec, the candidate's bytes and the options that change a
verdict. A rerun with the same `--out` skips a pair only when its key is already there with a verdict, so an
edited candidate, an edited task or another `--timeout` is evaluated again; an error row is retried. A key's
verdict is written once (`ResultsFile`), wherever the evaluation ran and however often it was tried.
"""

from __future__ import annotations

import csv
import fcntl
import hashlib
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from pydantic import ValidationError

from assay.evaluate import RESULT_VERSION, EvalError, EvalResult
from assay.report import safe_text, speed_text
from assay.tasks import Task

Row = EvalResult | EvalError


def result_key(task: Task, candidate: Path, settings: dict[str, Any]) -> str:
    """The hash that identifies one evaluation: task name, source and spec, candidate bytes, verdict-changing options.

    The name counts: two tasks of one suite may share their source (a result names its task), and the same
    candidate for each is two evaluations.

    Raises:
        OSError: a file cannot be read.
    """
    digest = hashlib.sha256()
    parts = (
        task.name.encode(),
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


class ResultsFile:
    """A results file that holds each key's verdict once, whoever writes it and however often it is offered.

    `record` appends under an exclusive `flock` after reading what other writers appended since this one last
    looked, so two runs sharing a file (or one evaluation offered twice: a retry after a lost node, a rerun)
    still leave one verdict row per key; the row already there is the one that counts. Error rows (no verdict)
    are written each time: a rerun retries them.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.verdicts: dict[str, EvalResult] = {}  # by key; old rows without a key never match
        self._offset = 0  # bytes of the file already read (whole lines only)
        if path.exists():
            with path.open("rb") as f:
                self._catch_up(f)

    def _catch_up(self, f: BinaryIO) -> None:
        f.seek(self._offset)
        data = f.read()
        end = data.rfind(b"\n") + 1  # a line still being written (or cut short by a kill) is read next time
        for line in data[:end].decode(errors="replace").splitlines():
            parsed = parse_row(line)
            if parsed is not None and parsed.key and isinstance(parsed.row, EvalResult):
                self.verdicts[parsed.key] = parsed.row
        self._offset += end

    def record(self, key: str, row: Row) -> Row:
        """Append `row` unless `key` already has a verdict in the file; returns the row the file holds for it."""
        with self.path.open("a+b") as f:
            fcntl.flock(f, fcntl.LOCK_EX)  # released when the file closes
            self._catch_up(f)
            if key and key in self.verdicts:
                return self.verdicts[key]
            f.seek(0, io.SEEK_END)
            cut_short = f.tell() > self._offset  # a line a killed writer left unfinished: end it first
            text = json.dumps({**row.model_dump(mode="json"), "key": key}) + "\n"
            f.write((b"\n" if cut_short else b"") + text.encode())
            f.flush()
            self._offset = f.tell()
        if key and isinstance(row, EvalResult):
            self.verdicts[key] = row
        return row


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
