"""`assay bench`: a suite, a folder of candidates, fast_p, and resuming from the results file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import FIXTURES

SUITE = FIXTURES / "bench_suite" / "suite"
CANDIDATES = FIXTURES / "bench_suite" / "candidates"


def _bench(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "assay", "bench", str(SUITE), str(CANDIDATES), "--timeout", "120", *args],
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_bench_reports_fast_p_and_resumes_from_its_results_file(tmp_path: Path) -> None:
    out = tmp_path / "results.jsonl"
    first = _bench("--json", "--out", str(out))
    assert first.returncode == 1, first.stderr  # one candidate is wrong
    report = json.loads(first.stdout)
    verdicts = {r["task"]: r["verdict"] for r in report["results"]}
    assert verdicts == {"tanh_a": "verified", "tanh_b": "incorrect"}
    assert report["summary"]["fast_p"]["0"] == 0.5
    assert report["summary"]["verified"] == 1 and report["summary"]["tasks"] == 2
    lines = out.read_text().splitlines()
    assert len(lines) == 2
    # A rerun with the same file evaluates nothing again and reports the same figures.
    second = _bench("--json", "--out", str(out))
    assert json.loads(second.stdout)["summary"] == report["summary"]
    assert len(out.read_text().splitlines()) == 2


def test_bench_table_and_user_errors() -> None:
    table = _bench()
    assert "fast_0 = 50%" in table.stdout and "tanh_a" in table.stdout
    missing = subprocess.run(
        [sys.executable, "-m", "assay", "bench", str(SUITE), str(FIXTURES / "nope")], capture_output=True, text=True
    )
    assert missing.returncode == 2 and "candidates folder not found" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_bench_shrinks_a_kernelbench_problem_too_big_for_this_machine() -> None:
    """A 4.3 GB grouped convolution at full size; `--shrink` makes it fit and reports the sizes used."""
    suite, candidates = str(FIXTURES / "kernelbench_style"), str(FIXTURES / "bench_kernelbench" / "candidates")
    proc = subprocess.run(
        [sys.executable, "-m", "assay", "bench", suite, candidates, "--shrink", "--json"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    (result,) = json.loads(proc.stdout)["results"]
    assert result["verdict"] == "verified"
    assert result["sizes"] and set(result["sizes"]) <= {"batch_size", "in_channels", "out_channels", "height", "width"}
