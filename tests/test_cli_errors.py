"""No failure reaches the user as a traceback or a half-printed report: user errors, infrastructure errors and
anything unexpected exit 2 with one line (and one JSON object with --json); candidate text prints as text;
a compiler's error survives into the message."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from assay._text import head_and_tail
from assay.cli import main
from assay.evaluate._outcome import from_error
from assay.worker import Failure
from tests.conftest import FIXTURES

ROOT = Path(__file__).resolve().parents[1]
TASK = FIXTURES / "eval" / "task_tanh.py"


def _eval(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "assay", "eval", *args], cwd=ROOT, capture_output=True, text=True, timeout=600
    )


def test_json_prints_one_error_object_when_the_evaluation_cannot_run(tmp_path: Path) -> None:
    proc = _eval(str(tmp_path / "missing_task.py"), str(FIXTURES / "eval" / "honest.py"), "--json")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    error = json.loads(proc.stdout)
    assert error["version"] == 1 and error["verdict"] is None and error["error"] == "TaskError"
    assert error["message"].startswith("task not found") and error["speedup"] is None and error["flags"] == []
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("assay: task not found")


class _Broken:
    """Stands in for the evaluator: assay cannot be made to have a bug on purpose, and this is what one looks
    like to the command line (the real evaluator's errors are covered above and in test_eval)."""

    def __init__(self) -> None:
        pass

    def evaluate(self, *args: Any, **kwargs: Any) -> Any:
        raise KeyError("[bold]internal[/] \x1b[2Kstate")

    def close(self) -> None:
        pass


@pytest.mark.parametrize("debug", [False, True])
def test_an_unexpected_exception_is_an_infrastructure_error(monkeypatch: pytest.MonkeyPatch, debug: bool) -> None:
    monkeypatch.setattr("assay.cli._eval.Evaluator", _Broken)
    if debug:
        monkeypatch.setenv("ASSAY_DEBUG", "1")
    else:
        monkeypatch.delenv("ASSAY_DEBUG", raising=False)
    result = CliRunner().invoke(main, ["eval", str(TASK), str(FIXTURES / "eval" / "honest.py"), "--json"])
    assert result.exit_code == 2  # never 1, which means a verdict
    error = json.loads(result.stdout)
    assert error["verdict"] is None and error["error"] == "KeyError"
    assert error["message"].startswith("internal error: KeyError: ") and "\x1b" not in error["message"]
    assert ("Traceback" in result.stderr) is debug
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("assay: internal error: KeyError") and ("ASSAY_DEBUG=1" in last) is not debug


@pytest.mark.parametrize(("task", "attack"), [("matmul", "report_forge_markup"), ("softmax", "report_forge_type_name")])
def test_a_crash_message_cannot_forge_the_report(task: str, attack: str) -> None:
    args = (str(ROOT / "redteam" / "tasks" / task), str(ROOT / "redteam" / "attacks" / f"{attack}.py"))
    text = _eval(*args)
    assert text.returncode == 1, text.stderr
    lines = text.stdout.splitlines()
    assert lines[0].endswith(": crashed") and "\x1b" not in text.stdout
    assert [line for line in lines if line.startswith("assay eval")] == [lines[0]]
    assert "[bold green]verified[/]" in text.stdout  # printed as the text it is
    as_json = _eval(*args, "--json")
    assert as_json.returncode == 1 and json.loads(as_json.stdout)["verdict"] == "crashed"


def test_head_and_tail_keep_both_ends() -> None:
    command = "c++ -MMD -isystem /very/long/include/path " * 60
    detail = f"Error building extension 'x': [1/2] {command}\nmain.cpp:6:17: error: expected ';' before '}}' token"
    failure = Failure(error="exception", type="RuntimeError", detail=detail, stage="construct")
    message = from_error(failure).message
    assert message.startswith("RuntimeError while constructing ModelNew: Error building extension 'x'")
    assert message.endswith("error: expected ';' before '}' token") and "characters cut" in message
    assert head_and_tail("short") == "short"


def test_a_compiler_error_reaches_the_message(evaluator: Any) -> None:
    from tests.conftest import QUICK

    result = evaluator.evaluate(TASK, FIXTURES / "eval" / "compile_error.py", QUICK)
    assert result.verdict == "crashed"
    assert "error: expected" in result.message, result.message  # the compiler's error, after its command line
