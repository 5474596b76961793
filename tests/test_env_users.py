"""The scorer as one user, the agent as another: the agent scores, and the kernel refuses it the scorer's files.

Root sets the environment up (`assay env init --owner AGENT --scorer SCORER`), the scorer runs as SCORER
(`assay env serve`), and everything the agent does runs as AGENT, an ordinary uid. Both are throwaway uids
with no passwd entry: the kernel needs none to enforce ownership and modes, so there is no account to create
or remove, and nothing is left on the machine. Needs root to become those users, and a Python of this version
that they may run (this project's venv may sit in a home closed to others: then a system Python is used, with
this environment's packages put on its path, as in test_unprivileged.py).
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import signal
import socket
import stat
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import assay
from assay.env import Account, Layout, init_environment, read_log
from assay.errors import UserError
from tests.conftest import FIXTURES

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root to run the scorer and the agent as other users")

TASK = FIXTURES / "env_task"
SOLUTIONS = FIXTURES / "env_solutions"


def _free_uids(count: int, start: int = 42000) -> list[int]:
    used = {p.pw_uid for p in pwd.getpwall()}
    return [uid for uid in range(start, start + 1000) if uid not in used][:count]


AGENT, SCORER = _free_uids(2)


@dataclass(frozen=True)
class Setup:
    base: Path
    workspace: Path
    state: Path
    socket: Path
    scorer: subprocess.Popen[str]
    python: str  # one that both users may run


def as_user(uid: int, args: list[str], cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(cwd), "LANG": "C.UTF-8"}
    return subprocess.run(
        args, cwd=cwd, env=env, user=uid, group=uid, extra_groups=[], capture_output=True, text=True, timeout=timeout
    )


def _wait_listening(path: Path, scorer: subprocess.Popen[str], timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if scorer.poll() is not None:
            pytest.fail(f"the scorer exited: {scorer.stderr.read() if scorer.stderr else ''}")
        with socket.socket(socket.AF_UNIX) as probe:
            try:
                probe.connect(str(path))
                return
            except OSError:
                time.sleep(0.2)
    pytest.fail("the scorer did not start listening")


def _python_for_others(base: Path) -> str:
    """A venv both users may run, seeing this environment's packages and this checkout's assay."""
    minor = f"python{sys.version_info.major}.{sys.version_info.minor}"
    for candidate in (os.path.realpath(sys.executable), f"/usr/bin/{minor}", f"/usr/local/bin/{minor}"):
        if not os.path.isfile(candidate):
            continue
        try:
            probe = as_user(AGENT, [candidate, "-c", "import sys; print(sys.version_info[:2])"], base, timeout=30)
        except PermissionError:  # under a directory closed to other users
            continue
        if probe.returncode == 0 and probe.stdout.strip() == str(sys.version_info[:2]):
            break
    else:
        pytest.skip(f"no Python {sys.version_info[:2]} that other users may execute")
    venv = base / "venv"
    subprocess.run([candidate, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=60)
    purelib = Path(sysconfig.get_paths(vars={"base": str(venv)})["purelib"])
    paths = [sysconfig.get_paths()["purelib"], str(Path(assay.__file__).resolve().parents[1])]
    (purelib / "assay-under-test.pth").write_text("\n".join(paths) + "\n")
    python = str(venv / "bin" / "python")
    probe = as_user(SCORER, [python, "-c", "import torch, assay.env"], base, timeout=60)
    if probe.returncode != 0:
        pytest.skip(f"this environment is not readable by other users: {probe.stderr.strip()[-200:]}")
    return python


@pytest.fixture(scope="module")
def setup() -> Iterator[Setup]:
    base = Path(tempfile.mkdtemp(prefix="assay-env-users-", dir="/tmp"))
    base.chmod(0o755)
    scorer: subprocess.Popen[str] | None = None
    try:
        python = _python_for_others(base)
        for name, uid in (("scorer", SCORER), ("agent", AGENT)):
            (base / name).mkdir(mode=0o755)
            os.chown(base / name, uid, uid)
        ws, state = base / "agent" / "ws", base / "scorer" / "env"
        init = subprocess.run(
            [sys.executable, "-m", "assay", "env", "init", str(TASK), str(ws), "--state", str(state), "--quick",
             "--owner", str(AGENT), "--scorer", str(SCORER)],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert init.returncode == 0, init.stderr
        env = {"PATH": "/usr/bin:/bin", "HOME": str(base / "scorer"), "LANG": "C.UTF-8"}
        scorer = subprocess.Popen(
            [python, "-m", "assay", "env", "serve", str(state)],
            cwd=base / "scorer", env=env, user=SCORER, group=SCORER, extra_groups=[],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        sock = Path(f"{state}.sock")
        _wait_listening(sock, scorer)
        yield Setup(base=base, workspace=ws, state=state, socket=sock, scorer=scorer, python=python)
    finally:
        if scorer is not None and scorer.poll() is None:
            scorer.kill()
            scorer.wait(30)
        shutil.rmtree(base, ignore_errors=True)


def agent_scores(setup: Setup) -> dict[str, Any]:
    run = as_user(AGENT, [setup.python, "score", "--json"], setup.workspace)
    assert run.returncode in (0, 1), run.stderr
    reply: dict[str, Any] = json.loads(run.stdout)
    return reply


AGENT_ATTEMPTS = """
import json, os, sys
state, sock = sys.argv[1], sys.argv[2]
attempts = {
    "read the reference": lambda: open(state + "/task/reference.py").read(),
    "read the log": lambda: open(state + "/score_log.jsonl").read(),
    "append to the log": lambda: open(state + "/score_log.jsonl", "a").write("forged\\n"),
    "list the state": lambda: os.listdir(state),
    "rewrite env.json": lambda: open(state + "/env.json", "w").write("{}"),
    "open the state up": lambda: os.chmod(state, 0o777),
    "remove the socket": lambda: os.unlink(sock),
}
outcome = {}
for name, attempt in attempts.items():
    try:
        attempt()
        outcome[name] = "done"
    except PermissionError:
        outcome[name] = "refused"
print(json.dumps(outcome))
"""


@pytest.mark.slow
def test_the_agent_scores_but_cannot_reach_the_scorers_files(setup: Setup) -> None:
    ws = setup.workspace
    assert ws.stat().st_uid == AGENT and (ws / "solution.py").stat().st_uid == AGENT
    assert setup.state.stat().st_uid == SCORER and stat.S_IMODE(setup.state.stat().st_mode) == 0o700

    copy = f"import shutil; shutil.copyfile({str(SOLUTIONS / 'better.py')!r}, 'solution.py')"
    assert as_user(AGENT, [setup.python, "-c", copy], ws).returncode == 0
    first = agent_scores(setup)
    assert first["entry"]["verdict"] == "verified", first

    run = as_user(AGENT, [setup.python, "-c", AGENT_ATTEMPTS, str(setup.state), str(setup.socket)], ws)
    assert run.returncode == 0, run.stderr
    assert set(json.loads(run.stdout).values()) == {"refused"}, run.stdout

    # The scorer's user could read its own reference through a link: it refuses the link, and records it.
    target = str(setup.state / "task" / "reference.py")
    link = f"import os; os.remove('solution.py'); os.symlink({target!r}, 'solution.py')"
    assert as_user(AGENT, [setup.python, "-c", link], ws).returncode == 0
    linked = agent_scores(setup)["entry"]
    assert linked["verdict"] == "refused" and any("symbolic link" in t for t in linked["tampering"])

    setup.scorer.send_signal(signal.SIGTERM)
    assert setup.scorer.wait(60) == 0
    assert not setup.socket.exists()
    log = read_log(setup.state)
    assert [(e.verdict, e.peer_uid) for e in log] == [("verified", AGENT), ("refused", AGENT)]
    assert log[0].isolation in ("L2", "L3")  # below L2 the solution, running as the scorer, could read its files
    logfile = setup.state / "score_log.jsonl"
    assert logfile.stat().st_uid == SCORER and stat.S_IMODE(logfile.stat().st_mode) == 0o600
    assert "forged" not in logfile.read_text()
    report = subprocess.run(
        [sys.executable, "-m", "assay", "env", "report", str(setup.state), "--json"], capture_output=True, text=True
    )
    assert report.returncode == 0 and json.loads(report.stdout)["best"] == first["entry"]["normalized_score"]


def test_init_refuses_a_layout_the_scorer_or_the_agent_cannot_reach(tmp_path: Path) -> None:
    closed = tmp_path / "closed"  # root's, mode 0700: neither user may enter
    closed.mkdir(mode=0o700)
    agent, scorer = Account(AGENT, AGENT, frozenset({AGENT}), "agent"), Account(SCORER, SCORER, frozenset(), "scorer")
    open_dir = Path(tempfile.mkdtemp(prefix="assay-env-layout-", dir="/tmp"))
    try:
        open_dir.chmod(0o755)
        cases = [  # workspace, state: the scorer cannot read the workspace / cannot create its socket
            (closed / "ws", open_dir / "state1"),
            (open_dir / "ws2", open_dir / "state2"),
        ]
        for ws, state in cases:
            layout = Layout(workspace=ws, state=state, socket=Path(f"{state}.sock"), owner=agent, scorer=scorer)
            with pytest.raises(UserError, match="this layout cannot work"):
                init_environment(TASK, layout)
            assert not ws.exists() and not state.exists()
    finally:
        shutil.rmtree(open_dir, ignore_errors=True)
