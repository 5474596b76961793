"""A scripted agent through whole environments: init, scores better and worse, cheating, tampering, the report,
and a summary over three runs whose best-of-k is checked against the logs.

The scorer runs in a thread of this process with the session's warm evaluator (quick settings); the agent's
side is the workspace's own `score` script, run as a separate process over the real unix socket. As root, the
agent is another user (a throwaway uid with no passwd entry), to whom init gives the workspace, and its
attempt to edit the log is refused by the kernel; as an ordinary user, agent and scorer are one user and
that step is left out. test_env_users.py runs the scorer itself as another user too (root only).
"""

from __future__ import annotations

import itertools
import json
import math
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from assay.env import Account, Layout, Scorer, ScorerSettings, default_layout, init_environment, read_log, serve
from assay.evaluate import Evaluator
from tests.conftest import FIXTURES, QUICK

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


@dataclass(frozen=True)
class Agent:
    """The agent's side: its uid (None: this process's user) and a Python it may run (`score` needs no more)."""

    uid: int | None
    python: str

    def put(self, workspace: Path, solution: Path | str, name: str = "solution.py") -> None:
        path = workspace / name
        path.write_text(solution if isinstance(solution, str) else solution.read_text())
        if self.uid is not None:
            os.chown(path, self.uid, self.uid)

    def run(self, args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
        user = {} if self.uid is None else {"user": self.uid, "group": self.uid, "extra_groups": []}
        env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": str(cwd)}
        return subprocess.run(
            [self.python, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300, **user
        )

    def score(self, workspace: Path, solution: Path | None = None, *flags: str) -> dict[str, Any]:
        """What the agent does: put a solution in place and run ./score."""
        if solution is not None:
            self.put(workspace, solution)
        run = self.run(["score", "--json", *flags], workspace)
        reply: dict[str, Any] = json.loads(run.stdout)
        entry = reply.get("entry")
        assert run.returncode == (0 if entry is None or entry["verdict"] == "verified" else 1), run.stderr
        return reply


def _other_agent(base: Path) -> Agent | None:
    uid = next(u for u in range(43000, 44000) if u not in {p.pw_uid for p in pwd.getpwall()})
    for python in (os.path.realpath(sys.executable), "/usr/bin/python3", "/usr/local/bin/python3"):
        try:
            agent = Agent(uid, python)
            if os.path.isfile(python) and agent.run(["-c", "import json, socket"], base).returncode == 0:
                return agent
        except PermissionError:  # under a directory closed to other users
            continue
    return None


@pytest.fixture
def base() -> Iterator[Path]:
    """A folder other users may enter (pytest's own tmp_path is closed to them)."""
    path = Path(tempfile.mkdtemp(prefix="assay-env-agent-", dir="/tmp"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def agent(base: Path) -> Agent:
    other = _other_agent(base) if os.geteuid() == 0 else None
    return other or Agent(None, sys.executable)


def make_env(root: Path, agent: Agent, baselines_from: Path | None = None) -> Layout:
    root.mkdir(mode=0o755)
    state, sock = default_layout(root / "ws", None, None)
    owner = None if agent.uid is None else Account(agent.uid, agent.uid, frozenset({agent.uid}), str(agent.uid))
    layout = Layout(workspace=root / "ws", state=state, socket=sock, owner=owner)
    init_environment(TASK, layout, settings=ScorerSettings.quick(), baselines_from=baselines_from)
    return layout


TRY_THE_LOG = """
import sys
try:
    open(sys.argv[1], "a").write("forged entry\\n")
    print("written")
except PermissionError:
    print("refused")
"""


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
def test_a_scripted_agent_through_three_runs(base: Path, agent: Agent, evaluator: Evaluator) -> None:
    first = make_env(base / "run1", agent)
    ws = first.workspace
    with scorer_thread(first.state, evaluator) as scorer:
        baselines = scorer.env.baselines
        assert baselines is not None and baselines.reference > baselines.start
        better = agent.score(ws, SOLUTIONS / "better.py")["entry"]
        assert better["verdict"] == "verified" and 0.3 < better["normalized_score"] < 1.2, better
        worse = agent.score(ws, SOLUTIONS / "worse.py")["entry"]
        assert worse["verdict"] == "verified" and worse["normalized_score"] < -0.3, worse
        cheat = agent.score(ws, SOLUTIONS / "cheat_inplace.py")["entry"]
        assert cheat["verdict"] == "flagged" and cheat["flags"] == ["input-mutated"]
        assert cheat["normalized_score"] is None and cheat["raw_score"] is None

        agent.put(ws, steal_reference(first.state))
        stolen = agent.score(ws)["entry"]
        assert stolen["verdict"] == "crashed" and "stolen" not in stolen["message"], stolen["message"]

        # Tampering: the log edited, the workspace's task.py made trivial, solution.py made a link to the reference.
        log_file = first.state / "score_log.jsonl"
        if agent.uid is not None:  # as one user, nothing but the agent's honesty stops it
            edit = agent.run(["-c", TRY_THE_LOG, str(log_file)], ws)
            assert edit.stdout.strip() == "refused", edit.stderr
        trivial = (ws / "task.py").read_text().replace("return (torch.exp", "return x\n        return (torch.exp")
        agent.put(ws, trivial, "task.py")
        (ws / "solution.py").unlink()
        (ws / "solution.py").symlink_to(first.state / "task" / "reference.py")
        linked = agent.score(ws)["entry"]
        assert linked["verdict"] == "refused" and "symbolic link" in linked["message"]
        assert any("task.py differs" in t for t in linked["tampering"])
        (ws / "solution.py").unlink()
        again = agent.score(ws, SOLUTIONS / "better.py")
        assert again["entry"]["verdict"] == "verified", again  # scored against the scorer's task, not the edit
        assert any("task.py differs" in t for t in again["entry"]["tampering"])
        assert again["best"] == max(better["normalized_score"], again["entry"]["normalized_score"])

        # A scoring that fails inside the scorer is recorded and does not stop it.
        task_file = first.state / "task" / "task.py"
        task_file.rename(task_file.with_name("gone.py"))
        failed = agent.score(ws)["entry"]
        task_file.with_name("gone.py").rename(task_file)
        assert failed["verdict"] == "error" and failed["normalized_score"] is None
        with socket.socket(socket.AF_UNIX) as rude:  # connects, says nothing useful, leaves
            rude.connect(str(first.socket))
            rude.sendall(b"not json\n")
        status = agent.score(ws, None, "--status")
        assert status["entries"] == 7 and "entry" not in status

    log = read_log(first.state)
    assert [e.verdict for e in log] == ["verified", "verified", "flagged", "crashed", "refused", "verified", "error"]
    assert all(e.peer_uid == (os.geteuid() if agent.uid is None else agent.uid) for e in log)
    assert sorted((first.state / "solutions").iterdir())[0].read_text() == (SOLUTIONS / "better.py").read_text()
    assert all("stolen: " not in p.read_text() for p in (first.state / "details").iterdir())

    second, third = (make_env(base / f"run{i}", agent, baselines_from=first.state) for i in (2, 3))
    with scorer_thread(second.state, evaluator):
        agent.put(second.workspace, SOLUTIONS / "better.py")
        replies: list[dict[str, Any]] = []
        agents = [threading.Thread(target=lambda: replies.append(agent.score(second.workspace))) for _ in range(2)]
        for thread in agents:
            thread.start()
        for thread in agents:
            thread.join(300)
        assert sorted(r["entry"]["index"] for r in replies) == [1, 2]  # served one after the other
    with scorer_thread(third.state, evaluator):
        entry = agent.score(third.workspace, SOLUTIONS / "worse.py")["entry"]
        assert entry["verdict"] == "verified", entry

    report = assay("env", "report", str(first.state), "--json", "--plot", str(base / "run.png"))
    assert report.returncode == 0, report.stderr
    made = json.loads(report.stdout)
    assert made["best"] == pytest.approx(max(e.normalized_score for e in log if e.verdict == "verified"))
    assert made["best_entry"] in (1, 6) and made["counted"] == 3 and len(made["entries"]) == 7
    assert (base / "run.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    summary = assay("env", "summary", str(base), "--json", "--plot", str(base / "k.png"))
    assert summary.returncode == 0, summary.stderr
    figures = json.loads(summary.stdout)["tasks"]
    bests = [max(e.normalized_score or -9 for e in read_log(layout.state)) for layout in (first, second, third)]
    assert figures[0]["runs"] == 3 and sorted(figures[0]["scores"]) == pytest.approx(sorted(bests))
    for k in (1, 2, 3):
        subsets = list(itertools.combinations(bests, k))
        assert figures[0]["best_of_k"][k - 1] == pytest.approx(sum(map(max, subsets)) / len(subsets))
    assert (base / "k.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_start_derived_from_a_bare_kernelbench_file_is_verified(tmp_path: Path, evaluator: Evaluator) -> None:
    task, state = FIXTURES / "eval" / "task_tanh.py", tmp_path / "state"
    layout = Layout(workspace=tmp_path / "ws", state=state, socket=tmp_path / "s.sock")
    init_environment(task, layout, reference=FIXTURES / "eval" / "honest.py")
    result = evaluator.evaluate(task, layout.workspace / "solution.py", QUICK)
    assert result.verdict == "verified", result.message


def test_each_baseline_is_the_mean_of_its_evaluations(tmp_path: Path, evaluator: Evaluator) -> None:
    layout = Layout(workspace=tmp_path / "ws", state=tmp_path / "state", socket=tmp_path / "s.sock")
    settings = ScorerSettings.quick().model_copy(update={"baseline_runs": 2})
    init_environment(TASK, layout, settings=settings)
    scorer = Scorer(layout.state, evaluator)
    baselines = scorer.ensure_baselines()
    assert len(baselines.start_runs) == len(baselines.reference_runs) == 2
    assert baselines.start == pytest.approx(sum(math.log(s) for s in baselines.start_runs) / 2)
    assert baselines.reference == pytest.approx(sum(math.log(s) for s in baselines.reference_runs) / 2)
    # Every evaluation is kept, and the stored span holds each of them.
    for which, runs in (("start", baselines.start_runs), ("reference", baselines.reference_runs)):
        names = [f"baseline-{which}.json", f"baseline-{which}-2.json"]
        speedups = [json.loads((layout.state / "details" / n).read_text())["speedup"] for n in names]
        assert speedups == runs
    low, high = baselines.reference_speedup_ci
    assert low <= min(baselines.reference_runs) and max(baselines.reference_runs) <= high
    assert low > baselines.start_speedup_ci[1]
    assert Scorer(layout.state, evaluator).ensure_baselines() == baselines  # measured once, then read
