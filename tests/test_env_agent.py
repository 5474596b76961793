"""A scripted agent through whole environments: init, scores better and worse, cheating, tampering, the report,
and a summary over three runs whose best-of-k is checked against the logs.

The scorer runs in a thread of this process with the session's warm evaluator (quick settings); the agent's
side is the workspace's own `score` script, run as a separate process over the real unix socket. The same
flow with the scorer as a separate user is in test_env_users.py (root only).
"""

from __future__ import annotations

import itertools
import json
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from assay.env import Layout, Scorer, ScorerSettings, default_layout, init_environment, read_log, serve
from assay.evaluate import Evaluator
from tests.conftest import FIXTURES

TASK = FIXTURES / "env_task"
SOLUTIONS = FIXTURES / "env_solutions"


@contextmanager
def scorer_thread(state: Path, evaluator: Evaluator) -> Iterator[Scorer]:
    stop, ready = threading.Event(), threading.Event()
    holder: list[Scorer] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            serve(state, evaluator=evaluator, stop=stop, ready=lambda s: (holder.append(s), ready.set()))
        except BaseException as exc:
            errors.append(exc)
            ready.set()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert ready.wait(120), "the scorer did not start"
    assert not errors, errors
    try:
        yield holder[0]
    finally:
        stop.set()
        thread.join(30)
    assert not thread.is_alive()


def make_env(root: Path, baselines_from: Path | None = None) -> Layout:
    state, sock = default_layout(root / "ws", None, None)
    layout = Layout(workspace=root / "ws", state=state, socket=sock)
    init_environment(TASK, layout, settings=ScorerSettings.quick(), baselines_from=baselines_from)
    return layout


def agent_scores(workspace: Path, solution: Path | None = None, *flags: str) -> dict[str, Any]:
    """What the agent does: put a solution in place and run ./score."""
    if solution is not None:
        shutil.copyfile(solution, workspace / "solution.py")
    run = subprocess.run(
        [sys.executable, "score", "--json", *flags], cwd=workspace, capture_output=True, text=True, timeout=300
    )
    reply: dict[str, Any] = json.loads(run.stdout)
    entry = reply.get("entry")
    assert run.returncode == (0 if entry is None or entry["verdict"] == "verified" else 1), run.stderr
    return reply


def assay(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "assay", *args], capture_output=True, text=True, timeout=120)


def steal_reference(state: Path) -> str:
    """A solution that reads the scorer's reference solution: the scorer's user may, the sandbox may not."""
    return (
        "import torch.nn as nn\n\n\nclass ModelNew(nn.Module):\n    def __init__(self, scale):\n"
        "        super().__init__()\n\n    def forward(self, x):\n"
        f"        stolen = open({str(state / 'task' / 'reference.py')!r}).read()\n"
        "        raise RuntimeError('stolen: ' + stolen)\n"
    )


@pytest.mark.slow
def test_a_scripted_agent_through_three_runs(tmp_path: Path, evaluator: Evaluator) -> None:
    first = make_env(tmp_path / "run1")
    ws = first.workspace
    with scorer_thread(first.state, evaluator) as scorer:
        baselines = scorer.env.baselines
        assert baselines is not None and baselines.reference > baselines.start
        better = agent_scores(ws, SOLUTIONS / "better.py")["entry"]
        assert better["verdict"] == "verified" and 0.3 < better["normalized_score"] < 1.2, better
        worse = agent_scores(ws, SOLUTIONS / "worse.py")["entry"]
        assert worse["verdict"] == "verified" and worse["normalized_score"] < -0.3, worse
        cheat = agent_scores(ws, SOLUTIONS / "cheat_inplace.py")["entry"]
        assert cheat["verdict"] == "flagged" and cheat["flags"] == ["input-mutated"]
        assert cheat["normalized_score"] is None and cheat["raw_score"] is None

        (ws / "solution.py").write_text(steal_reference(first.state))
        stolen = agent_scores(ws)["entry"]
        assert stolen["verdict"] == "crashed" and "stolen" not in stolen["message"], stolen["message"]

        # Tampering: the workspace's task.py made trivial, then solution.py made a link to the reference.
        (ws / "task.py").write_text(
            (ws / "task.py").read_text().replace("e = torch.exp", "return x\n        e = torch.exp")
        )
        (ws / "solution.py").unlink()
        (ws / "solution.py").symlink_to(first.state / "task" / "reference.py")
        linked = agent_scores(ws)["entry"]
        assert linked["verdict"] == "refused" and "symbolic link" in linked["message"]
        assert any("task.py differs" in t for t in linked["tampering"])
        (ws / "solution.py").unlink()
        again = agent_scores(ws, SOLUTIONS / "better.py")
        assert again["entry"]["verdict"] == "verified", again  # scored against the scorer's task, not the edit
        assert any("task.py differs" in t for t in again["entry"]["tampering"])
        assert again["best"] == max(better["normalized_score"], again["entry"]["normalized_score"])

        # A scoring that fails inside the scorer is recorded and does not stop it.
        task_file = first.state / "task" / "task.py"
        task_file.rename(task_file.with_name("gone.py"))
        failed = agent_scores(ws)["entry"]
        task_file.with_name("gone.py").rename(task_file)
        assert failed["verdict"] == "error" and failed["normalized_score"] is None
        with socket.socket(socket.AF_UNIX) as rude:  # connects, says nothing useful, leaves
            rude.connect(str(first.socket))
            rude.sendall(b"not json\n")
        status = agent_scores(ws, None, "--status")
        assert status["entries"] == 7 and "entry" not in status

    log = read_log(first.state)
    assert [e.verdict for e in log] == ["verified", "verified", "flagged", "crashed", "refused", "verified", "error"]
    assert sorted((first.state / "solutions").iterdir())[0].read_text() == (SOLUTIONS / "better.py").read_text()
    assert all("stolen: " not in p.read_text() for p in (first.state / "details").iterdir())

    second, third = (make_env(tmp_path / f"run{i}", baselines_from=first.state) for i in (2, 3))
    with scorer_thread(second.state, evaluator):
        shutil.copyfile(SOLUTIONS / "better.py", second.workspace / "solution.py")
        replies: list[dict[str, Any]] = []
        agents = [threading.Thread(target=lambda: replies.append(agent_scores(second.workspace))) for _ in range(2)]
        for agent in agents:
            agent.start()
        for agent in agents:
            agent.join(300)
        assert sorted(r["entry"]["index"] for r in replies) == [1, 2]  # served one after the other
    with scorer_thread(third.state, evaluator):
        assert agent_scores(third.workspace, SOLUTIONS / "worse.py")["entry"]["verdict"] == "verified"

    report = assay("env", "report", str(first.state), "--json", "--plot", str(tmp_path / "run.png"))
    assert report.returncode == 0, report.stderr
    made = json.loads(report.stdout)
    assert made["best"] == pytest.approx(max(e.normalized_score for e in log if e.verdict == "verified"))
    assert made["best_entry"] in (1, 6) and made["counted"] == 3 and len(made["entries"]) == 7
    assert (tmp_path / "run.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    summary = assay("env", "summary", str(tmp_path), "--json", "--plot", str(tmp_path / "k.png"))
    assert summary.returncode == 0, summary.stderr
    figures = json.loads(summary.stdout)["tasks"]
    bests = [max(e.normalized_score or -9 for e in read_log(layout.state)) for layout in (first, second, third)]
    assert figures[0]["runs"] == 3 and sorted(figures[0]["scores"]) == pytest.approx(sorted(bests))
    for k in (1, 2, 3):
        subsets = list(itertools.combinations(bests, k))
        assert figures[0]["best_of_k"][k - 1] == pytest.approx(sum(map(max, subsets)) / len(subsets))
    assert (tmp_path / "k.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
