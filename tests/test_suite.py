"""The bundled suite passes the task checker: every task vetted, every start.py and reference.py verified."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SUITE = Path(__file__).resolve().parents[1] / "tasks"


@pytest.mark.slow
def test_bundled_suite_passes_the_task_checker() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "assay", "tasks", "check", str(SUITE)],
        capture_output=True,
        text=True,
        timeout=2400,
    )
    rejected = [line for line in proc.stdout.splitlines() if line and not line.startswith("PASS")]
    assert proc.returncode == 0, "\n".join(rejected)[-4000:] + proc.stderr[-2000:]
    assert "0 rejected" in proc.stdout
    assert proc.stdout.count("PASS") >= 30
