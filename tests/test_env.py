"""`assay env` without evaluations: the score arithmetic, the starting solution, what init writes and refuses."""

from __future__ import annotations

import ast
import itertools
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from assay.env import (
    Baselines,
    Layout,
    LogEntry,
    ScorerSettings,
    best_of_each_k,
    best_of_k,
    default_layout,
    init_environment,
    load_run,
    normalized_score,
    read_env,
    report,
    run_score,
)
from assay.env._start import model_as_start
from assay.env._state import append_entry
from assay.errors import UserError
from tests.conftest import FIXTURES

TASK = FIXTURES / "env_task"
WORKSPACE_FILES = {"solution.py", "task.py", "INSTRUCTIONS.md", "score", "assay-env.json"}


def _layout(tmp_path: Path) -> Layout:
    state, sock = default_layout(tmp_path / "ws", None, None)
    return Layout(workspace=tmp_path / "ws", state=state, socket=sock)


def test_best_of_k_is_the_mean_best_over_every_combination() -> None:
    assert best_of_each_k([0.2, 0.5, 0.9]) == pytest.approx([1.6 / 3, 2.3 / 3, 0.9])
    scores = [0.31, -0.4, 1.2, 0.0, 0.7, 0.7, 0.05]
    for k in range(1, len(scores) + 1):
        subsets = list(itertools.combinations(scores, k))
        assert best_of_k(scores, k) == pytest.approx(sum(map(max, subsets)) / len(subsets))
    with pytest.raises(ValueError):
        best_of_k(scores, 0)


def test_normalized_score_puts_the_start_at_0_and_the_reference_at_1() -> None:
    b = Baselines(start=0.1, reference=0.7, start_speedup_ci=[1, 1], reference_speedup_ci=[2, 2], measured_at="")
    assert normalized_score(0.1, b) == pytest.approx(0.0)
    assert normalized_score(0.7, b) == pytest.approx(1.0)
    assert normalized_score(0.4, b) == pytest.approx(0.5)
    assert normalized_score(-0.2, b) == pytest.approx(-0.5)


def test_a_runs_score_is_its_best_verified_entry_within_the_budget() -> None:
    def entry(i: int, verdict: str, score: float | None, late: bool = False) -> LogEntry:
        return LogEntry.model_validate(
            {"index": i, "time": "", "elapsed_s": i, "verdict": verdict, "normalized_score": score, "late": late}
        )

    entries = [
        entry(1, "verified", 0.3),
        entry(2, "flagged", None),
        entry(3, "verified", 0.6),
        entry(4, "verified", 2.0, True),
    ]
    assert run_score(entries) == pytest.approx(0.6)
    assert run_score([entry(1, "crashed", None)]) is None


def test_a_task_without_start_py_starts_from_its_model_renamed() -> None:
    source = (
        '"""A KernelBench problem."""\nimport torch\nimport torch.nn as nn\n\nN = 8\n\n\n'
        "class Model(nn.Module):\n    def __init__(self):\n        super(Model, self).__init__()\n\n"
        "    def forward(self, x):\n        return torch.relu(x)  # Model\n\n\n"
        "def get_inputs():\n    return [torch.randn(N, N)]\n\n\ndef get_init_inputs():\n    return []\n"
    )
    start = model_as_start(source, "task.py")
    tree = ast.parse(start)
    names = {n.name for n in tree.body if isinstance(n, ast.ClassDef | ast.FunctionDef)}
    assert names == {"ModelNew"}
    assert "super(ModelNew, self).__init__()" in start
    assert "# Model" in start  # comments are not names
    assert "N = 8" in start


def test_init_gives_the_agent_the_problem_and_nothing_it_must_not_see(tmp_path: Path) -> None:
    layout = _layout(tmp_path)
    env = init_environment(TASK, layout, settings=ScorerSettings.quick())
    ws = layout.workspace
    assert {p.name for p in ws.iterdir()} == WORKSPACE_FILES
    reference = (TASK / "reference.py").read_text()
    for path in ws.iterdir():
        assert reference not in path.read_text()
        assert str(layout.state) + "/" not in path.read_text(), path
    assert (ws / "solution.py").read_text() == (TASK / "start.py").read_text()
    assert (ws / "task.py").read_text() == (TASK / "task.py").read_text()
    assert os.access(ws / "score", os.X_OK)
    assert json.loads((ws / "assay-env.json").read_text())["socket"] == str(layout.socket)
    text = (ws / "INSTRUCTIONS.md").read_text()
    assert "1 h" in text and "./score" in text and "cheating" in text
    assert stat.S_IMODE(layout.state.stat().st_mode) == 0o700
    for path in layout.state.rglob("*"):
        assert stat.S_IMODE(path.stat().st_mode) in (0o600, 0o700), path
    assert (layout.state / "task" / "reference.py").read_text() == reference
    assert read_env(layout.state) == env
    assert env.time_budget_s == 3600 and env.baselines is None and env.started_at is None


def test_init_refuses_what_cannot_work(tmp_path: Path) -> None:
    layout = _layout(tmp_path)
    (tmp_path / "ws").mkdir()
    (tmp_path / "ws" / "notes.txt").write_text("mine")
    with pytest.raises(UserError, match="not an empty folder"):
        init_environment(TASK, layout)
    inside = Layout(workspace=tmp_path / "w2", state=tmp_path / "w2" / "state", socket=tmp_path / "s.sock")
    with pytest.raises(UserError, match="separate folders"):
        init_environment(TASK, inside)
    with pytest.raises(UserError, match=r"no reference\.py"):
        init_environment(FIXTURES / "eval" / "task_tanh.py", _layout(tmp_path / "t"))
    assert not (tmp_path / "t").exists()
    with pytest.raises(UserError, match="no baselines yet"):
        first = _layout(tmp_path / "a")
        init_environment(TASK, first)
        init_environment(TASK, _layout(tmp_path / "b"), baselines_from=first.state)
    assert not (tmp_path / "b" / "ws").exists()


def test_a_task_file_without_start_py_gets_a_faithful_start(tmp_path: Path) -> None:
    layout = _layout(tmp_path)
    init_environment(FIXTURES / "eval" / "task_tanh.py", layout, reference=FIXTURES / "eval" / "honest.py")
    solution = (layout.workspace / "solution.py").read_text()
    assert "class ModelNew(nn.Module)" in solution and "get_inputs" not in solution
    assert (layout.state / "task" / "start.py").read_text() == solution


def test_a_log_that_was_not_only_appended_to_shows_in_the_report(tmp_path: Path) -> None:
    layout = _layout(tmp_path)
    init_environment(TASK, layout)
    for index in (1, 3):
        entry = {"index": index, "time": "", "elapsed_s": index, "verdict": "verified", "normalized_score": index / 4}
        append_entry(layout.state, LogEntry.model_validate(entry))
        if index == 1:
            with (layout.state / "score_log.jsonl").open("a") as log:
                log.write('{"index": 2, "verdict": "verified", "normalized_score": 9}\n')
    made = report(load_run(layout.state))
    assert [e.index for e in made.entries] == [1, 3] and made.best == pytest.approx(0.75)
    assert made.log_problems == [
        "line 2 of score_log.jsonl is not an entry",
        "line 3 of score_log.jsonl is entry 3, expected 2",
    ]


def _assay(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "assay", *args], capture_output=True, text=True, cwd=cwd, timeout=60)


def test_user_mistakes_get_one_sentence_and_exit_code_2(tmp_path: Path) -> None:
    run = _assay("env", "init", str(tmp_path / "missing"), str(tmp_path / "ws"))
    assert run.returncode == 2 and run.stderr.count("\n") == 1 and "task not found" in run.stderr
    run = _assay("env", "serve", str(tmp_path))
    assert run.returncode == 2 and "not an environment's state directory" in run.stderr
    run = _assay("env", "init", str(TASK), str(tmp_path / "ws"), "--time-budget", "soon")
    assert run.returncode == 2 and "--time-budget" in run.stderr
    run = _assay("score", cwd=tmp_path)
    assert run.returncode == 2 and "not an environment's workspace" in run.stderr
    init_environment(TASK, _layout(tmp_path / "e"))
    run = subprocess.run([sys.executable, "score"], cwd=tmp_path / "e" / "ws", capture_output=True, text=True)
    assert run.returncode == 2 and "no scorer is listening" in run.stderr
