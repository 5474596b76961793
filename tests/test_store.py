"""The run store: a real SQLite file, written one transaction per event, readable while a run writes it, intact
after the writer is killed with SIGKILL."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assay.errors import UserError
from assay.evaluate import EvalResult, Verdict
from assay.store import STORE_VERSION, NewCall, NewCandidate, RunLock, RunStore, find_run, new_run_dir, run_files


def _store(tmp_path: Path, run_id: str = "r1") -> RunStore:
    (tmp_path / run_id).mkdir(parents=True, exist_ok=True)
    return RunStore.create(tmp_path / run_id / "run.sqlite", run_id, "task_x", "/t/x.py", "ab" * 32, 5, '{"v": 1}')


def _verified(low: float) -> EvalResult:
    return EvalResult(verdict=Verdict.VERIFIED, speedup=low + 0.02, speedup_ci=[low, low + 0.04], comparison="faster")


def test_events_and_reads(tmp_path: Path) -> None:
    store = _store(tmp_path)
    call = NewCall(
        "llm", "openai:m", '{"user": "prompt"}', "reply text", input_tokens=100, output_tokens=20, cost_usd=0.5
    )
    first = store.add_candidate(NewCandidate(0, 0, "translate", 0, "llm", "src = 1\n", model="openai:m"), call)
    none = store.add_candidate(NewCandidate(1, 0, "translate", 1, "llm", None), call, "the reply was empty")
    second = store.add_candidate(NewCandidate(0, 1, "repair", 0, "llm", "src = 2\n", parent_ids=(first,)))
    store.set_status(second, "evaluating")
    store.add_evaluation(first, "search", EvalResult(verdict=Verdict.INCORRECT, message="call 1 element 3"))
    store.add_evaluation(second, "search", _verified(1.2))
    store.add_evaluation(second, "confirm", _verified(1.1))
    with pytest.raises(sqlite3.IntegrityError):  # one candidate per (step, attempt): a replay cannot add a second
        store.add_candidate(NewCandidate(0, 1, "repair", 0, "llm", "other\n"))
    store.finish("finished", "evaluation budget reached (2)")
    store.close()

    again = RunStore.open(tmp_path / "r1" / "run.sqlite")
    info = again.run()
    assert (info.id, info.status, info.stop_reason, info.seed) == ("r1", "finished", "evaluation budget reached (2)", 5)
    rows = {c.id: c for c in again.candidates()}
    assert rows[none].status == "rejected" and rows[none].reject_reason == "the reply was empty"
    assert rows[second].parent_ids == (first,) and rows[second].status == "evaluated"
    assert again.candidate_at(0, 1) == rows[second] and again.candidate_at(5, 0) is None
    assert [c.reply for c in again.calls()] == ["reply text", "reply text"]
    usage = again.usage()
    assert (usage.calls, usage.tokens, usage.cost_usd) == (2, 240, 1.0)
    evaluation = again.evaluation(second)
    assert evaluation is not None and evaluation.fitness == 1.2 and evaluation.result().speedup_ci == [1.2, 1.24]
    failed = again.evaluation(first)
    assert failed is not None and failed.fitness is None and failed.result().message == "call 1 element 3"
    log = again.score_log()
    assert [(e.score, e.best) for e in log] == [(None, None), (1.2, 1.2), (1.1, 1.2)]  # best: search evaluations
    assert log[0].elapsed_s <= log[-1].elapsed_s
    assert again._conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    again.close()


def test_a_file_of_another_kind_or_version_is_refused(tmp_path: Path) -> None:
    other = tmp_path / "other.sqlite"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.commit()
    with pytest.raises(UserError, match="not an assay run file"):
        RunStore.open(other)
    (tmp_path / "text.sqlite").write_text("not a database at all, just text" * 10)
    with pytest.raises(UserError, match="not an assay run file"):
        RunStore.open(tmp_path / "text.sqlite")
    store = _store(tmp_path)
    store._conn.execute("UPDATE meta SET value = ? WHERE key = 'version'", (str(STORE_VERSION + 1),))
    store.close()
    with pytest.raises(UserError, match=f"version {STORE_VERSION + 1}"):
        RunStore.open(tmp_path / "r1" / "run.sqlite")


def test_run_names_and_lock(tmp_path: Path) -> None:
    a, dir_a = new_run_dir(tmp_path, "l1 task/x")
    b, dir_b = new_run_dir(tmp_path, "l1 task/x")
    assert a != b and "/" not in a and dir_a.is_dir() and dir_b.is_dir()
    for run_id in (a, b):
        _store(tmp_path, run_id).close()
    assert run_files(tmp_path) == [dir_a / "run.sqlite", dir_b / "run.sqlite"]
    assert find_run(b, tmp_path) == dir_b / "run.sqlite"
    assert find_run(str(dir_a), tmp_path) == dir_a / "run.sqlite"  # a folder works too
    with pytest.raises(UserError, match="matches 2 runs"):
        find_run(a[:8], tmp_path)
    with pytest.raises(UserError, match="no run 'nope'"):
        find_run("nope", tmp_path)
    lock = RunLock(dir_a / "lock")
    lock.acquire()
    assert RunLock(dir_a / "lock").held_elsewhere()
    with pytest.raises(UserError, match="being run by another process"):
        RunLock(dir_a / "lock").acquire()
    lock.release()
    assert not RunLock(dir_a / "lock").held_elsewhere()


_WRITER = """
import sys
from pathlib import Path
from assay.store import NewCall, NewCandidate, RunStore
store = RunStore.create(Path(sys.argv[1]), "k", "t", "/t.py", "0" * 64, 1, "{}")
print("ready", flush=True)
for step in range(100000):
    call = NewCall("llm", "m", "p" * 2000, "r" * 2000, input_tokens=1, output_tokens=1)
    store.add_candidate(NewCandidate(step, 0, "evolve", 0, "llm", "x = 1\\n" * 50), call)
"""


def test_sigkill_mid_write_leaves_every_event_whole(tmp_path: Path) -> None:
    path = tmp_path / "run.sqlite"
    writer = subprocess.Popen([sys.executable, "-c", _WRITER, str(path)], stdout=subprocess.PIPE, text=True)
    assert writer.stdout is not None and writer.stdout.readline().strip() == "ready"
    time.sleep(0.5)
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    store = RunStore.open(path)
    candidates, calls = store.candidates(), store.calls()
    assert len(candidates) > 10  # it was writing
    assert len(calls) == len(candidates)  # a candidate and its call are one transaction: never one without the other
    assert [c.step for c in candidates] == list(range(len(candidates)))
    assert store._conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    store.close()


def test_an_evaluation_is_recorded_once_per_candidate_and_kind(tmp_path: Path) -> None:
    """A result offered twice (an evaluation retried after its node was lost, a session that ran it again) leaves
    the first one, and one score-log entry; another kind for the same candidate is its own record."""
    store = _store(tmp_path)
    cid = store.add_candidate(NewCandidate(0, 0, "translate", 0, "llm", "src = 1\n"))
    first = store.add_evaluation(cid, "search", _verified(1.2), "first")
    again = store.add_evaluation(cid, "search", _verified(1.5), "second")
    assert again == first and again.fitness == 1.2
    confirm = store.add_evaluation(cid, "confirm", _verified(1.1))
    assert confirm.id != first.id
    assert [(e.candidate_id, e.kind) for e in store.evaluations()] == [(cid, "search"), (cid, "confirm")]
    assert [(e.evaluation_id, e.message) for e in store.score_log()] == [(first.id, "first"), (confirm.id, "")]
    store.close()
