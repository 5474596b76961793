"""`--ray` against a real two-node Ray cluster on this machine: `ray start --head` and a second node joining it,
each declaring one timing CPU (the machine has two cores), started once for the module and stopped at its end.

What is checked: the verdicts are the ones a local run gives; each result names its node and its timing CPU,
and no two nodes time on one CPU; a rerun reads the results file without the cluster; an evaluator process
killed mid-evaluation (SIGKILL) is evaluated again, and no result is lost or written twice; a search records
each evaluation once.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from assay.store import RunStore
from tests.conftest import FIXTURES
from tests.scripted_llm import Reply, Request, ScriptedLLM

pytestmark = pytest.mark.slow

SUITE = FIXTURES / "bench_suite" / "suite"
CANDIDATES = FIXTURES / "cluster"
# What a local run gives for these pairs (tests/test_bench.py and tests/test_eval.py check them locally).
EXPECTED = {
    "tanh_a/honest.py": "verified",
    "tanh_a/raises.py": "crashed",
    "tanh_b/honest.py": "verified",
    "tanh_b/wrong.py": "incorrect",
}
RAY = str(Path(sys.executable).parent / "ray")
NODE = ["--block", "--num-cpus=1", '--resources={"assay_timing_cpu": 1}', "--object-store-memory=78643200"]


@dataclass(frozen=True)
class Cluster:
    address: str
    temp_dir: Path
    worker: subprocess.Popen[bytes]  # `ray start --block` of the second node


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _node(args: list[str], log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
    with log.open("wb") as out:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            [RAY, "start", *args], env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """`ray start --block` stops its node's processes on SIGTERM; whatever is left of its group is killed."""
    if proc.poll() is None:
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=30)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)  # its own session: only processes this test started
    proc.wait()


def _wait_for_timing_cpus(address: str, units: int, nodes: list[subprocess.Popen[bytes]], logs: Path) -> None:
    import ray

    deadline = time.monotonic() + 120
    ray.init(address=address, log_to_driver=False, logging_level="ERROR")
    try:
        while ray.cluster_resources().get("assay_timing_cpu", 0) < units:
            if time.monotonic() > deadline or any(n.poll() is not None for n in nodes):
                tails = [p.read_text()[-2000:] for p in sorted(logs.glob("*.log"))]
                pytest.fail("the Ray cluster did not come up:\n" + "\n".join(tails))
            time.sleep(0.5)
    finally:
        ray.shutdown()


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    # Short: Ray's unix socket paths live under it and must fit in 107 bytes.
    temp = Path(tempfile.mkdtemp(prefix="ray", dir="/tmp"))
    port = _free_port()
    address = f"127.0.0.1:{port}"
    nodes = [
        _node(["--head", f"--port={port}", "--include-dashboard=false", f"--temp-dir={temp}", *NODE], temp / "h.log")
    ]
    try:
        _wait_for_timing_cpus(address, 1, nodes, temp)
        nodes.append(_node([f"--address={address}", *NODE], temp / "w.log"))
        _wait_for_timing_cpus(address, 2, nodes, temp)
        yield Cluster(address, temp, nodes[1])
    finally:
        for node in reversed(nodes):
            _stop(node)
        shutil.rmtree(temp, ignore_errors=True)


def _bench(*args: str) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "assay", "bench", str(SUITE), str(CANDIDATES), *args]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _file_rows(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def _pair(row: dict[str, object]) -> str:
    return "/".join(Path(str(row["candidate"])).parts[-2:])


def test_bench_on_two_nodes_gives_the_local_verdicts_and_a_rerun_needs_no_cluster(
    cluster: Cluster, tmp_path: Path
) -> None:
    out = tmp_path / "r.jsonl"
    proc = _bench("--ray", cluster.address, "--out", str(out), "--json")
    stdout, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 1, stderr  # a crash and a wrong candidate: not every candidate verified
    report = json.loads(stdout)  # stdout holds the report alone: Ray's own messages went elsewhere
    assert {_pair(r): r["verdict"] for r in report["results"]} == EXPECTED
    nodes = [r["environment"]["node"] for r in report["results"]]
    # Two slots, four jobs: the first two start at once, one on each node, each on a timing CPU of its own.
    assert len({n["node_id"] for n in nodes}) == 2
    assert len({n["timing_cpu"] for n in nodes}) == 2, "two nodes on one machine pinned evaluations to one CPU"
    assert all(r["environment"]["pinned_cpu"] == r["environment"]["node"]["timing_cpu"] for r in report["results"])
    assert all(n["cpu_model"] and n["hostname"] == socket.gethostname() for n in nodes)
    assert "measured on 2 machines" in report["summary"]["machines_note"]
    rows = _file_rows(out)
    assert len(rows) == 4 and len({r["key"] for r in rows}) == 4
    assert {_pair(r): r["verdict"] for r in rows} == EXPECTED

    before = out.read_bytes()
    again = _bench("--ray", "127.0.0.1:1", "--out", str(out))  # nothing to evaluate: the address is never used
    stdout, stderr = again.communicate(timeout=120)
    assert again.returncode == 1, stderr
    assert stdout.count("[from the results file]") == 4 and "evaluating" not in stderr
    assert out.read_bytes() == before


def _children(pid: int) -> list[tuple[int, bytes]]:
    """(pid, command line) of each child of `pid`."""
    found = []
    for entry in Path("/proc").iterdir():
        with contextlib.suppress(OSError, IndexError):
            if entry.name.isdigit() and int((entry / "stat").read_text().rpartition(")")[2].split()[1]) == pid:
                found.append((int(entry.name), (entry / "cmdline").read_bytes()))
    return found


def _raylets(cluster: Cluster) -> list[int]:
    """This cluster's raylets: the processes whose command line names its temporary folder."""
    pids = []
    for entry in Path("/proc").iterdir():
        with contextlib.suppress(OSError):
            cmdline = (entry / "cmdline").read_bytes() if entry.name.isdigit() else b""
            if b"raylet/raylet" in cmdline.split(b"\0")[0] and str(cluster.temp_dir).encode() in cmdline:
                pids.append(int(entry.name))
    return pids


def _busy_evaluators(raylets: list[int]) -> list[int]:
    """Evaluator actors of these raylets while they run a job (Ray titles them `ray::Class.method`)."""
    return [
        pid for raylet in raylets for pid, cmd in _children(raylet) if cmd.startswith(b"ray::NodeEvaluator.evaluate")
    ]


def test_an_evaluator_killed_mid_evaluation_is_evaluated_again_and_recorded_once(
    cluster: Cluster, tmp_path: Path
) -> None:
    out = tmp_path / "r.jsonl"
    proc = _bench("--ray", cluster.address, "--out", str(out))
    killed: list[int] = []

    def kill_one() -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            pids = _busy_evaluators(_raylets(cluster))
            if pids:
                time.sleep(0.5)  # well inside the evaluation: its workers are up, its rounds under way
                os.kill(pids[0], signal.SIGKILL)
                killed.append(pids[0])
                return
            time.sleep(0.1)

    killer = threading.Thread(target=kill_one)
    killer.start()
    stdout, stderr = proc.communicate(timeout=300)
    killer.join()
    assert killed, "no evaluation was seen running"
    assert proc.returncode == 1, stderr
    assert "evaluating it again (attempt 2 of 3)" in stderr
    rows = _file_rows(out)
    # Nothing lost, nothing twice, no error row: the lost evaluation's verdict came from its second attempt.
    assert len(rows) == 4 and len({r["key"] for r in rows}) == 4
    assert {_pair(r): r["verdict"] for r in rows} == EXPECTED
    assert stdout.count(" <- ") == 4


HEAD = (
    "import torch\nimport torch.nn as nn\n\n\nclass ModelNew(nn.Module):\n    def __init__(self, scale):\n"
    "        super().__init__()\n        self.scale = scale\n\n    def forward(self, x):\n"
)


def _script(request: Request) -> Reply:
    """Step 0 correct, step 1 wrong then repaired, then correct programs of distinct speeds."""
    step, attempt = request.step, request.attempt
    if step == 1 and attempt == 0:
        body = "        return torch.tanh(x)\n"
    else:
        body = (
            f"        for _ in range({step}):\n            torch.tanh(x)\n        return torch.tanh(x) * self.scale\n"
        )
    return Reply(f"A change.\n```python\n{HEAD}{body}```\n")


def test_a_search_on_the_cluster_records_each_evaluation_once(cluster: Cluster, tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    with ScriptedLLM(_script) as server:
        command = [sys.executable, "-m", "assay", "optimize", str(FIXTURES / "eval" / "task_tanh.py")]
        command += ["--proposer", "llm", "--model", f"openai:scripted@{server.openai_url}", "--seed", "5"]
        command += ["--budget-evals", "4", "--parallel", "2", "--quick", "--no-confirm", "--plain"]
        command += ["--run-dir", str(runs), "--ray", cluster.address]
        env = {**os.environ, "OPENAI_API_KEY": "sk-test"}
        proc = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr
    store = RunStore.open(next(runs.glob("*/run.sqlite")))
    try:
        evaluations, log = store.evaluations(), store.score_log()
        candidates = {c.id: c for c in store.candidates()}
    finally:
        store.close()
    assert len(evaluations) == 4 and len({e.candidate_id for e in evaluations}) == 4
    assert sorted(e.evaluation_id for e in log) == sorted(e.id for e in evaluations)  # one entry each
    verdicts = {(candidates[e.candidate_id].step, candidates[e.candidate_id].attempt): e.verdict for e in evaluations}
    assert verdicts[(0, 0)] == "verified" and verdicts[(1, 0)] == "incorrect"
    assert all("node" in e.result().environment for e in evaluations)


def test_a_node_lost_mid_evaluation_gives_a_retry_never_a_verdict(cluster: Cluster, tmp_path: Path) -> None:
    """The second node's raylet is killed while its evaluator works: the node goes down with everything on it
    (its processes are killed around the evaluation under way). The last test: the cluster has one node after."""
    (raylet,) = [pid for pid, cmd in _children(cluster.worker.pid) if b"raylet/raylet" in cmd.split(b"\0")[0]]
    out = tmp_path / "r.jsonl"
    proc = _bench("--ray", cluster.address, "--out", str(out))
    deadline = time.monotonic() + 120
    while not _busy_evaluators([raylet]) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert proc.poll() is None, "the run ended before the second node took a job"
    time.sleep(1.0)  # inside the evaluation
    os.kill(raylet, signal.SIGKILL)
    stdout, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 1, stderr
    assert "evaluating it again (attempt 2 of 3)" in stderr
    rows = _file_rows(out)
    assert len(rows) == 4 and len({r["key"] for r in rows}) == 4
    assert {_pair(r): r["verdict"] for r in rows} == EXPECTED  # no verdict made while the node went down
    assert stdout.count(" <- ") == 4
