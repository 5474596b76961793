"""`assay bench` in logs and scripts: a line per result as it finishes, full names, the exit status with several
candidates per task, the report formats, resuming by content, error rows, and `assay compare`."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, ClassVar

import pytest
from click.testing import CliRunner

from assay.cli import main
from assay.evaluate import EvalResult
from tests.conftest import FIXTURES

SUITE = FIXTURES / "bench_suite" / "suite"
MULTI = FIXTURES / "bench_multi"  # two verified candidates for tanh_a, none for tanh_b
LONG = "out_of_place_with_a_name_long_enough_to_be_cut_in_a_narrow_table.py"


def _assay(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "assay", *args], capture_output=True, text=True, timeout=600)


def test_lines_stream_into_a_log_as_results_finish_and_every_candidate_verified_exits_0(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "assay", "bench", str(SUITE), str(MULTI), "--out", str(tmp_path / "r.jsonl")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    first = proc.stdout.readline()
    # The first result is in the log while the second candidate is still being evaluated.
    assert proc.poll() is None, "the first line arrived only when the run ended"
    rest, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err  # two verified candidates of one task: every candidate verified
    lines = [first, *rest.splitlines()]
    assert first.startswith("verified  tanh_a <- ") and first.rstrip().endswith(" s)")
    assert any(
        line.startswith("verified") and line.split(" <- ")[1].startswith(str(MULTI / "tanh_a" / LONG)) for line in lines
    )
    assert "\x1b" not in rest + first  # no colours or cursor movement in a log
    assert lines[-1].startswith("1/2 tasks verified (2/2 candidates)"), lines[-1]


def _copy_multi(tmp_path: Path) -> Path:
    folder = tmp_path / "candidates"
    shutil.copytree(MULTI, folder)
    return folder


def test_formats_resume_by_content_and_compare(tmp_path: Path) -> None:
    candidates, out = _copy_multi(tmp_path), tmp_path / "r.jsonl"
    first = _assay("bench", str(SUITE), str(candidates), "--format", "csv", "--out", str(out))
    assert first.returncode == 0, first.stderr
    rows = list(csv.DictReader(io.StringIO(first.stdout)))
    assert [r["verdict"] for r in rows] == ["verified", "verified"] and rows[1]["candidate"].endswith(LONG)
    assert first.stderr.count("verified  tanh_a <- ") == 2  # the lines go to stderr when stdout is the report
    # An edited candidate is evaluated again; the unchanged one comes from the results file.
    edited = candidates / "tanh_a" / LONG
    edited.write_text(edited.read_text() + "# edited\n")
    second = _assay("bench", str(SUITE), str(candidates), "--format", "json", "--out", str(out))
    assert second.returncode == 0, second.stderr
    assert second.stderr.count("[from the results file]") == 1
    assert [r["verdict"] for r in json.loads(second.stdout)["results"]] == ["verified", "verified"]
    lines = out.read_text().splitlines()
    assert len(lines) == 3 and all(len(json.loads(line)["key"]) == 64 for line in lines)
    third = _assay("bench", str(SUITE), str(candidates), "--format", "markdown", "--out", str(out))
    assert third.returncode == 0 and third.stdout.startswith("| task | candidate | verdict |"), third.stdout
    assert third.stderr.count("[from the results file]") == 2 and len(out.read_text().splitlines()) == 3
    # The first run against the rerun of the edited candidate, and the candidates of one run against each other.
    (tmp_path / "a.jsonl").write_text("\n".join(lines[:2]) + "\n")
    (tmp_path / "b.jsonl").write_text("\n".join([lines[0], lines[2]]) + "\n")
    runs = _assay("compare", str(tmp_path / "a.jsonl"), str(tmp_path / "b.jsonl"), "--json")
    assert runs.returncode == 0, runs.stderr
    report = json.loads(runs.stdout)
    assert [c["task"] for c in report["comparisons"]] == ["tanh_a", "tanh_a"]
    assert all(c["outcome"] in {"faster", "slower", "not significant"} for c in report["comparisons"])
    within = _assay("compare", str(out))
    assert within.returncode == 0 and within.stdout.startswith("tanh_a (") and " -> " in within.stdout


def test_an_unreadable_candidate_is_an_error_row_and_the_run_goes_on(tmp_path: Path) -> None:
    candidates, out = _copy_multi(tmp_path), tmp_path / "r.jsonl"
    (candidates / "tanh_a" / LONG).unlink()
    (candidates / "tanh_a" / "broken_bytes.py").write_bytes(b"import torch\n\xff\xfe\xc0 invalid utf-8\n")
    for attempt in (1, 2):  # a rerun retries the error and goes on again
        proc = _assay("bench", str(SUITE), str(candidates), "--out", str(out))
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert "Traceback" not in proc.stderr
        assert proc.stdout.splitlines()[0].startswith("error     tanh_a <- "), proc.stdout
        assert "UserError: cannot read candidate" in proc.stdout
        assert "1 could not be evaluated" in proc.stdout.splitlines()[-1]
        rows = [json.loads(line) for line in out.read_text().splitlines()]
        assert [r["verdict"] for r in rows] == [None, "verified", None][: attempt + 1]


class _Exploding:
    """Stands in for the evaluator to inject a failure assay cannot be made to have on purpose: an unexpected
    exception in the middle of a run (the real evaluator's own failures are covered above and in test_eval)."""

    calls: ClassVar[list[str]] = []

    def evaluate(self, task: Any, candidate: Path, config: Any, name: str | None = None) -> EvalResult:
        self.calls.append(candidate.name)
        if candidate.name.startswith("in_place"):
            raise ZeroDivisionError("an [bold]unexpected[/] bug")
        return EvalResult(
            verdict="verified", speedup=1.0, speedup_ci=[0.99, 1.01], task=task.name, candidate=str(candidate)
        )

    def close(self) -> None:
        pass


def test_an_unexpected_exception_is_a_row_and_a_fresh_evaluator_takes_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("assay.cli._bench.Evaluator", _Exploding)
    result = CliRunner().invoke(main, ["bench", str(SUITE), str(MULTI), "--json", "--out", str(tmp_path / "r.jsonl")])
    assert result.exit_code == 2, result.output
    report = json.loads(result.stdout)
    first, second = report["results"]
    assert (
        first["verdict"] is None and first["error"] == "ZeroDivisionError" and "[bold]unexpected[/]" in first["message"]
    )
    assert second["verdict"] == "verified"
    assert _Exploding.calls == ["in_place_multiply.py", LONG]
