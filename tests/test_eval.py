"""End-to-end evaluations through the real zygote, workers and sandbox: one verdict per kind of candidate."""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from assay.evaluate import Evaluator
from tests.conftest import FIXTURES, QUICK

EVAL = FIXTURES / "eval"
TASK = EVAL / "task_tanh.py"


def test_honest_candidate_is_verified(evaluator: Evaluator) -> None:
    r = evaluator.evaluate(TASK, EVAL / "honest.py", QUICK)
    assert r.verdict == "verified", r.message
    assert r.speedup is not None and r.speedup_ci is not None
    assert r.speedup_ci[0] <= r.speedup <= r.speedup_ci[1]
    assert r.calls_checked >= QUICK.min_rounds
    assert r.isolation.get("level") in {"L0", "L1", "L2", "L3"}
    assert r.timing is not None and len(r.timing.reference_ms) == len(r.timing.candidate_ms)


def test_source_text_is_evaluated_like_its_file(evaluator: Evaluator) -> None:
    source = (EVAL / "honest.py").read_text()
    r = evaluator.evaluate(TASK, source, QUICK, name="honest-from-text")
    assert r.verdict == "verified", r.message
    assert r.candidate == "honest-from-text"
    broken = evaluator.evaluate(TASK, "class ModelNew(:\n    pass\n", QUICK)
    assert broken.verdict == "crashed" and broken.message.startswith("<source> line 1"), broken.message


def test_official_samples_are_the_workers_cpu_time_with_wall_time_beside_them(evaluator: Evaluator) -> None:
    r = evaluator.evaluate(TASK, EVAL / "honest.py", QUICK)
    assert r.timing is not None and r.timing.clock == "cpu"
    assert len(r.timing.candidate_wall_ms) == len(r.timing.candidate_ms) > 0
    # CPU time leaves out only waiting: on a machine that is quiet enough to run this, the sum of the CPU
    # samples is most of the wall time (load makes it smaller, never larger).
    for cpu, wall in (
        (r.timing.reference_ms, r.timing.reference_wall_ms),
        (r.timing.candidate_ms, r.timing.candidate_wall_ms),
    ):
        assert sum(cpu) <= sum(wall) * 1.02


def test_the_orchestrator_reads_both_workers_memory_alike(
    evaluator: Evaluator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each read of a worker's output leaves its pages in the cache for that worker's next call: if one side's
    outputs were read more often (the candidate's freeze check alone), identical code read 1.05-1.09x faster on
    a task whose output fits the L3 (docs/evaluator.md, "The same steps after both sides' blocks")."""
    from collections import Counter

    from assay.evaluate import _requests, _rounds

    reads: Counter[int] = Counter()
    calls: Counter[int] = Counter()
    blocks: Counter[int] = Counter()
    read_memory = _rounds.read_memory
    block = _rounds.Rounds._block

    def counted(pid: int, address: int, buffer: memoryview) -> int:
        reads[pid] += 1
        return read_memory(pid, address, buffer)

    def counted_block(self: _rounds.Rounds, worker: Any, inputs: list[Any], *args: Any) -> Any:
        blocks[worker.host_pid] += 1
        calls[worker.host_pid] += len(inputs)
        return block(self, worker, inputs, *args)

    monkeypatch.setattr(_rounds, "read_memory", counted)  # the candidate's outputs
    monkeypatch.setattr(_requests, "read_memory", counted)  # the reference twins' (Exchange.trusted_read)
    monkeypatch.setattr(_rounds.Rounds, "_block", counted_block)
    r = evaluator.evaluate(TASK, EVAL / "honest.py", QUICK)
    assert r.verdict == "verified", r.message
    assert len(reads) == 3, reads  # the reference twins and the candidate; the generator's inputs are not read so
    for pid in reads:  # each call's output at its return, and the block's last once more when frozen
        assert reads[pid] == calls[pid] + blocks[pid] and blocks[pid] > QUICK.min_rounds // 2, (reads, calls, blocks)


def test_the_reference_twins_take_the_measured_rounds_in_turn(evaluator: Evaluator) -> None:
    """Both reference processes run, one measured round each in turn, and the spread added to the interval is
    the larger of the configured one and what their disagreement implies, recomputed here from the samples."""
    from assay.timing import Sample, twin_check

    config = replace(QUICK, min_rounds=40, between_runs_sd=0.0)
    r = evaluator.evaluate(TASK, EVAL / "honest.py", config)
    assert r.verdict == "verified", r.message
    assert r.timing is not None
    twins = r.timing.reference_twin
    assert set(twins) == {0, 1} and all(a != b for a, b in itertools.pairwise(twins)), twins
    samples = [
        Sample(ref, cand, first, twin)
        for ref, cand, first, twin in zip(
            r.timing.reference_ms, r.timing.candidate_ms, r.timing.reference_first, twins, strict=True
        )
    ]
    check = twin_check(samples)
    if check is None:  # a twin with fewer than three rounds of one order (about 1 run in 500 at 40 rounds)
        assert r.timing.twin_ratio is None and r.timing.between_sd == 0.0
    else:
        assert r.timing.twin_ratio == pytest.approx(check.ratio, rel=1e-4)
        assert r.timing.between_sd == pytest.approx(check.between_sd, abs=1e-5)

    single = evaluator.evaluate(TASK, EVAL / "honest.py", replace(QUICK, reference_twins=False))
    assert single.verdict == "verified", single.message
    assert single.timing is not None and set(single.timing.reference_twin) == {0}
    assert single.timing.twin_ratio is None and single.timing.between_sd == QUICK.between_runs_sd


def test_a_candidate_that_waits_off_the_cpu_is_flagged(evaluator: Evaluator) -> None:
    r = evaluator.evaluate(TASK, EVAL / "sleeps.py", QUICK)
    assert r.verdict == "flagged", r.message
    # Its idle CPU can also slow the reference that runs next (reference-harmed): off-cpu comes first.
    assert next(f.id for f in r.flags) == "off-cpu"
    assert "spent off the CPU" in r.flags[0].evidence


def test_preallocated_buffer_reused_across_calls_is_verified(evaluator: Evaluator) -> None:
    r = evaluator.evaluate(TASK, EVAL / "buffer_reuse.py", QUICK)
    assert r.verdict == "verified", r.message


@pytest.mark.parametrize(
    ("candidate", "verdict", "fragment"),
    [
        ("wrong.py", "incorrect", "elements differ; first at [0, 0]"),
        ("syntax_error.py", "crashed", "syntax_error.py line 3"),
        ("no_modelnew.py", "crashed", "defines no class ModelNew"),
        ("ctor_mismatch.py", "crashed", "TypeError while constructing ModelNew"),
        ("wrong_shape.py", "incorrect", "output shape (2048, 64) differs from the reference's (64, 2048)"),
        ("wrong_dtype.py", "incorrect", "output dtype float64 differs from the reference's float32"),
        ("not_a_tensor.py", "incorrect", "returned list, not a torch.Tensor"),
        ("raises.py", "crashed", "RuntimeError during a call: kernel launch failed"),
    ],
)
def test_bad_candidates_get_a_verdict_and_one_sentence(
    evaluator: Evaluator, candidate: str, verdict: str, fragment: str
) -> None:
    r = evaluator.evaluate(TASK, EVAL / candidate, QUICK)
    assert r.verdict == verdict, r.message
    assert fragment in r.message
    assert "\n" not in r.message and "Traceback" not in r.message


def test_extra_sizes_catch_a_shape_specialised_candidate(evaluator: Evaluator) -> None:
    r = evaluator.evaluate(EVAL / "folder_task", EVAL / "default_shape_only.py", QUICK)
    assert r.verdict == "incorrect"
    assert "at sizes {'batch_size': 7}" in r.message


def test_infinite_loop_times_out_and_the_next_evaluation_is_unharmed(evaluator: Evaluator) -> None:
    r = evaluator.evaluate(TASK, EVAL / "infinite_loop.py", replace(QUICK, call_timeout_s=2))
    assert r.verdict == "timeout"
    again = evaluator.evaluate(TASK, EVAL / "honest.py", QUICK)
    assert again.verdict == "verified"


def test_size_overrides_are_applied_and_reported(evaluator: Evaluator) -> None:
    r = evaluator.evaluate(TASK, EVAL / "honest.py", replace(QUICK, sizes={"batch_size": 5}))
    assert r.verdict == "verified" and r.sizes == {"batch_size": 5}


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "assay", *args], capture_output=True, text=True, timeout=300, env=env)


def test_cli_json_is_one_object_and_exit_code_follows_the_verdict() -> None:
    ok = _cli("eval", str(TASK), str(EVAL / "honest.py"), "--json", "--timeout", "120")
    assert ok.returncode == 0, ok.stderr
    result = json.loads(ok.stdout)
    for key in (
        "version",
        "verdict",
        "speedup",
        "speedup_ci",
        "reference_ms",
        "candidate_ms",
        "flags",
        "isolation",
        "message",
    ):
        assert key in result
    bad = _cli("eval", str(TASK), str(EVAL / "wrong.py"), "--json", "--timeout", "120")
    assert bad.returncode == 1 and json.loads(bad.stdout)["verdict"] == "incorrect"


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("eval", "missing_task.py", str(EVAL / "honest.py")), "task not found"),
        (("eval", str(TASK), "missing_candidate.py"), "candidate not found"),
        (
            ("eval", str(TASK), str(EVAL / "honest.py"), "--size", "batch=0"),
            "--size takes NAME=POSITIVE_INTEGER",
        ),
        (
            ("eval", str(TASK), str(EVAL / "honest.py"), "--size", "nonexistent=4"),
            "no module-level constant nonexistent",
        ),
    ],
)
def test_cli_user_errors_are_one_sentence_with_exit_2(args: tuple[str, ...], fragment: str) -> None:
    r = _cli(*args)
    assert r.returncode == 2
    assert fragment in r.stderr and "Traceback" not in r.stderr
    assert r.stdout == ""


@pytest.mark.skipif(os.path.exists("/dev/nvidia0"), reason="a GPU is present: the CUDA path would run")
@pytest.mark.parametrize("device", ["cuda", "cuda:1"])
def test_a_cuda_device_this_torch_cannot_use_is_one_sentence_before_anything_runs(device: str) -> None:
    r = _cli("eval", str(TASK), str(EVAL / "honest.py"), "--device", device, "--json")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    error = json.loads(r.stdout)  # --json: one object even when nothing could run
    assert error["verdict"] is None and f"device '{device}'" in error["message"]
    assert f"device '{device}'" in r.stderr and ("has no CUDA" in r.stderr or "CUDA device(s) visible" in r.stderr)
    assert "task" not in r.stderr  # the task is not to blame


def test_the_candidate_cannot_shrink_its_channel_under_the_orchestrators_mapping(
    evaluator: Evaluator, tmp_path: Path
) -> None:
    # The orchestrator reads channels through a mapping; a shrunk file would fault (SIGBUS) in trusted code.
    probe = tmp_path / "seals.py"
    probe.write_text(
        "import fcntl, os, torch\n"
        "def channels():\n"
        "    for n in os.listdir('/proc/self/fd'):\n"
        "        try:\n"
        "            if os.readlink(f'/proc/self/fd/{n}').startswith('/memfd:assay'):\n"
        "                yield int(n)\n"
        "        except OSError:\n"
        "            pass  # the descriptor listdir itself used\n"
        "class ModelNew(torch.nn.Module):\n"
        "    def __init__(self, scale):\n"
        "        super().__init__()\n"
        "        self.scale = scale\n"
        "    def forward(self, x):\n"
        "        fds = [fd for fd in channels() if os.fstat(fd).st_size > 0]\n"  # the inputs are in one now
        "        want = fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_SEAL\n"
        "        if not fds or any(fcntl.fcntl(fd, fcntl.F_GET_SEALS) & want != want for fd in fds):\n"
        "            raise RuntimeError(f'channel not sealed: {fds}')\n"
        "        for fd in fds:\n"
        "            try:\n"
        "                os.ftruncate(fd, os.fstat(fd).st_size - 1)\n"
        "            except PermissionError:\n"
        "                continue\n"
        "            raise RuntimeError('the channel shrank')\n"
        "        return torch.tanh(x) * self.scale\n"
    )
    r = evaluator.evaluate(TASK, probe, QUICK)
    assert r.verdict == "verified", r.message


def test_secrets_in_the_environment_do_not_reach_the_candidate(tmp_path: Path) -> None:
    spy = tmp_path / "spy.py"
    spy.write_text(
        "import os, torch\n"
        "class ModelNew(torch.nn.Module):\n"
        "    def __init__(self, scale):\n"
        "        super().__init__()\n"
        "        found = [k for k in os.environ if 'SECRET' in k]\n"
        "        blob = open('/proc/self/environ', 'rb').read()\n"
        "        if found or b'hunter2' in blob:\n"
        "            raise RuntimeError('leaked ' + repr(found) + repr(blob[:200]))\n"
        "        self.scale = scale\n"
        "    def forward(self, x):\n"
        "        return torch.tanh(x) * self.scale\n"
    )
    env = {**os.environ, "ASSAY_TEST_SECRET_KEY": "hunter2"}
    r = _cli("eval", str(TASK), str(spy), "--json", "--timeout", "120", env=env)
    assert json.loads(r.stdout)["verdict"] == "verified", r.stdout
    assert "hunter2" not in r.stdout


def _descendants(pid: int) -> list[int]:
    found, stack = [], [pid]
    while stack:
        current = stack.pop()
        try:
            tids = os.listdir(f"/proc/{current}/task")
        except OSError:
            continue
        for tid in tids:
            try:
                with open(f"/proc/{current}/task/{tid}/children") as f:
                    kids = [int(c) for c in f.read().split()]
            except OSError:
                continue
            found.extend(kids)
            stack.extend(kids)
    return found


def test_killing_the_orchestrator_leaves_no_worker_behind() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "assay", "eval", str(TASK), str(EVAL / "infinite_loop.py"), "--timeout", "60"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    tree: list[int] = []
    while time.monotonic() < deadline and len(tree) < 3:  # zygote, reference worker, candidate worker
        time.sleep(0.2)
        tree = _descendants(proc.pid)
    assert len(tree) >= 3, f"expected the zygote and two workers, saw {tree}"
    time.sleep(1.0)  # the candidate is now spinning inside its call
    tree = _descendants(proc.pid)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 5
    while (alive := [pid for pid in tree if _running(pid)]) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive, f"processes {alive} outlived the orchestrator"


def test_a_hangup_the_user_ignores_does_not_kill_the_candidate() -> None:
    # `nohup assay bench ... &` and then logging out: the hangup reaches every process of the job. The sandbox's
    # relays used to reset SIGHUP to its default and die of it, which read as a crash of an honest candidate.
    proc = subprocess.Popen(
        [sys.executable, "-m", "assay", "eval", str(TASK), str(EVAL / "honest.py"), "--json", "--timeout", "120"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGHUP, signal.SIG_IGN),  # what nohup does before it execs
    )
    hangups = 0
    while proc.poll() is None:  # through every phase: zygote, sandboxes starting, construction, timed rounds
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGHUP)
            hangups += 1
        time.sleep(0.1)
    out, err = proc.communicate()
    assert hangups >= 10
    assert proc.returncode == 0, err.decode()[-500:]
    assert json.loads(out)["verdict"] == "verified"


def _running(pid: int) -> bool:
    """Alive and not a zombie (a zombie runs no code; its reaper may simply be slow)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_a_task_whose_own_code_fails_is_a_user_error_not_a_verdict() -> None:
    r = _cli("eval", str(EVAL / "task_oom.py"), str(EVAL / "identity.py"))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "the task's Model fails" in r.stderr or "worker died" in r.stderr, r.stderr


def test_a_trusted_worker_killed_from_outside_is_not_blamed_on_the_task(
    evaluator: Evaluator, monkeypatch: pytest.MonkeyPatch
) -> None:
    from assay.errors import WorkerError
    from assay.evaluate import _session

    start_candidate = _session.Session.start_candidate

    def then_terminate_the_reference(self: _session.Session, weight_seed: int) -> None:
        start_candidate(self, weight_seed)
        assert self.refs
        os.kill(self.refs[0].pid, signal.SIGTERM)  # a real signal to the reference's real relay process

    if signal.getsignal(signal.SIGTERM) is signal.SIG_IGN:
        pytest.skip("SIGTERM is ignored here, and so by the workers too")
    monkeypatch.setattr(_session.Session, "start_candidate", then_terminate_the_reference)
    with pytest.raises(WorkerError, match="reference worker was killed by SIGTERM from outside"):
        evaluator.evaluate(TASK, EVAL / "honest.py", QUICK)
    monkeypatch.undo()
    assert evaluator.evaluate(TASK, EVAL / "honest.py", QUICK).verdict == "verified"  # the evaluator is unharmed


def test_the_zygote_started_early_is_adopted_by_the_next_evaluator() -> None:
    from assay.evaluate import _zygote

    _zygote.start_early()
    early = _zygote._early[0]
    with Evaluator() as evaluator:
        assert evaluator._zygote is early
        assert _zygote.adopt_early() is None  # taken once
        r = evaluator.evaluate(TASK, EVAL / "honest.py", QUICK)
        assert r.verdict == "verified", r.message


@pytest.mark.parametrize(
    ("args", "evaluates"),
    [
        (["eval", "t.py", "c.py"], True),
        (["bench", "suite", "dir"], True),
        (["tasks", "check", "tasks"], True),
        (["optimize", "t.py"], True),
        (["optimize", "--resume", "run"], True),
        (["runs"], False),
        (["show", "run"], False),
        (["tasks", "list"], False),
        (["env", "serve", "state"], True),
        (["env", "init", "task", "ws"], False),
        (["score"], False),
        (["eval", "--help"], False),
        (["machine"], False),
        ([], False),
    ],
)
def test_only_commands_that_evaluate_start_a_zygote_early(args: list[str], evaluates: bool) -> None:
    from assay.__main__ import _evaluates

    assert _evaluates(args) is evaluates


def test_a_user_error_after_the_early_start_leaves_no_zygote_behind() -> None:
    before = _zygotes()
    r = _cli("eval", str(TASK), str(EVAL / "no_such_candidate.py"))
    assert r.returncode == 2 and "candidate not found" in r.stderr, r.stderr
    deadline = time.monotonic() + 5
    while (left := _zygotes() - before) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not left, f"zygote(s) {left} outlived the command"


def _zygotes() -> set[int]:
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit() and _running(int(entry)):
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    if b"assay.worker.zygote" in f.read():
                        found.add(int(entry))
            except OSError:
                continue
    return found


def test_an_evaluator_started_in_a_thread_outlives_the_thread() -> None:
    # Linux's PDEATHSIG fires when the parent *thread* exits: a zygote tied to it would die with the thread.
    import threading

    box: list[Evaluator] = []
    thread = threading.Thread(target=lambda: box.append(Evaluator()))
    thread.start()
    thread.join()
    time.sleep(0.3)
    with box[0] as evaluator:
        r = evaluator.evaluate(TASK, EVAL / "honest.py", QUICK)
    assert r.verdict == "verified", r.message


@pytest.mark.parametrize("twins", [[0], [1], [0, 1]])
@pytest.mark.parametrize("since", [0, 1, 2, 3])
def test_the_gap_before_a_candidate_block_does_not_tell_the_order(since: int, twins: list[int]) -> None:
    """The reference blocks since the candidate's last block, the idling, and this round's reference blocks
    when they go first: the same twins' times in both orders (the idling lasts as long as this round's twin's
    latest turn, so the gap does not tell which twin ran either), and never a negative idle."""
    from collections import Counter

    from assay.evaluate._round import pad_blocks, stand_ins

    gaps = [Counter(stand_ins(since, twins, first) + (twins if first else [])) for first in (True, False)]
    assert gaps[0] == gaps[1], gaps
    assert since + sum(gaps[0].values()) == max(2, since + len(twins))
    assert min(pad_blocks(since, len(twins), first) for first in (True, False)) >= 0
