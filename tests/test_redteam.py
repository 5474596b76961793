"""The red-team corpus as a test suite: every attack caught as its header says, every control verified.

The slow test runs `assay redteam --json` once per session in a subprocess whose environment already holds the
secret (so it sits in the orchestrator's initial environment block, where attacks look first), through the real
zygote, workers and sandbox; each corpus file then gets its own parametrized assertion. The fast tests check the
corpus's shape and the runner's own side-effect checks.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from assay.evaluate import EvalResult, Flag, Verdict
from assay.redteam import (
    CANARY,
    CATALOG_IDS,
    NOT_COVERED,
    SECRET_VAR,
    HeaderError,
    expectation_met,
    judge,
    load_corpus,
    parse_entry,
    run_naive,
    uncovered,
)
from assay.redteam._effects import Places, Watch
from assay.redteam._listen import TCP_PORT, Listeners

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "redteam"
ENTRIES = load_corpus(CORPUS)
BY_NAME = {e.name: e for e in ENTRIES}
RUN_TIMEOUT_S = 1800


# ---------------------------------------------------------------- the corpus through the real evaluator
@pytest.fixture(scope="session")
def corpus_run(request: pytest.FixtureRequest) -> dict[str, Any]:
    """One `assay redteam --json` run over the corpus files whose tests were selected."""
    names = sorted(
        {
            item.callspec.params["name"]
            for item in request.session.items
            if "corpus_run" in getattr(item, "fixturenames", ())
        }
    )
    secret = secrets.token_hex(16)
    env = dict(os.environ, **{SECRET_VAR: secret})
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "assay", "redteam", str(CORPUS), "--json", "--only", ",".join(names)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
    )
    elapsed = time.monotonic() - started
    assert proc.returncode in (0, 1), f"assay redteam could not run (exit {proc.returncode}): {proc.stderr[-2000:]}"
    report: dict[str, Any] = json.loads(proc.stdout)
    print(f"\nred-team corpus: {len(report['rows'])} files in {elapsed:.0f} s, isolation {report['isolation']}")
    return {
        "report": report,
        "rows": {r["file"]: r for r in report["rows"]},
        "secret": secret,
        "output": proc.stdout + proc.stderr,
    }


def _describe(row: dict[str, Any]) -> str:
    return (
        f"{row['file']}: verdict {row['verdict']} flags {row['flags']} speedup {row['speedup']}; "
        f"caught by: {row['caught']}; side effects: {row['side_effects']}; reasons: {row['reasons']}"
    )


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(BY_NAME), ids=lambda n: n.removesuffix(".py"))
def test_corpus_file(name: str, corpus_run: dict[str, Any]) -> None:
    entry = BY_NAME[name]
    row = corpus_run["rows"].get(name)
    assert row is not None, f"{name} missing from the red-team report"
    assert corpus_run["secret"] not in corpus_run["output"], "the secret leaked into the red-team output"
    if entry.kind == "control":
        assert row["verdict"] == "verified", _describe(row)
    else:
        assert not (row["verdict"] == "verified" and (row["speedup"] or 0) > 1), _describe(row)
        verdict, _, flag = entry.expect.partition(":")
        if verdict == "not-verified":
            assert row["verdict"] != "verified", _describe(row)
        elif verdict == "not-faster":  # correct, so it may be verified, but never faster than the reference
            assert row["verdict"] != "verified" or (row["speedup"] or 0) < 1, _describe(row)
        else:
            assert row["verdict"] == verdict, _describe(row)
        if flag:
            assert flag in row["flags"], _describe(row)
    assert row["side_effects"] == "ok", _describe(row)
    assert row["passed"], _describe(row)


# ---------------------------------------------------------------- the corpus's shape
def test_corpus_covers_every_cpu_runnable_catalog_row() -> None:
    attacks = [e for e in ENTRIES if e.kind == "attack"]
    controls = [e for e in ENTRIES if e.kind == "control"]
    assert len(attacks) >= 30 and len(controls) >= 12
    assert uncovered(ENTRIES) == NOT_COVERED
    assert set(NOT_COVERED) < set(CATALOG_IDS)


def test_every_task_has_a_hidden_reference_with_a_canary() -> None:
    for entry in ENTRIES:
        folder = CORPUS / "tasks" / entry.task
        assert (folder / "task.py").is_file() and (folder / "task.toml").is_file(), entry.name
        assert CANARY in (folder / "reference.py").read_text(), folder


def test_header_errors_name_the_problem(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("# attack: no-such-row\n# variant: v\n# weakness: w\n# seen: s\n# task: t\n# expect: crashed\n")
    with pytest.raises(HeaderError, match="side-effect"):
        parse_entry(bad)
    bad.write_text(bad.read_text() + "# side-effect: none\n")
    with pytest.raises(HeaderError, match="unknown attack id"):
        parse_entry(bad)


def _result(verdict: str, speedup: float | None = None, flags: tuple[str, ...] = ()) -> EvalResult:
    return EvalResult(verdict=Verdict(verdict), speedup=speedup, flags=[Flag(id=f, evidence="e") for f in flags])


def test_judging_rules() -> None:
    attack = BY_NAME["attacks/lazy_subclass.py"]
    assert judge(attack, _result("flagged", flags=("tensor-subclass",))) == []
    assert judge(attack, _result("flagged", flags=("clock-mismatch",)))  # caught, but not as promised
    assert any("speedup" in r for r in judge(attack, _result("verified", 1.5)))
    assert expectation_met("not-verified", _result("timeout"))
    assert not expectation_met("not-verified", _result("verified", 0.9))
    control = BY_NAME["controls/matmul_addmm.py"]
    assert judge(control, _result("verified", 0.8)) == []
    assert judge(control, _result("flagged", flags=("thread-left-running",)))


# ---------------------------------------------------------------- the runner's own side-effect checks
@pytest.fixture
def watch() -> Any:
    with Listeners() as listeners:
        yield lambda declared: Watch(Places.for_corpus(CORPUS), declared, listeners, "s3cr3t-value-for-the-test")


def test_watch_reports_and_removes_a_declared_marker_file(watch: Any) -> None:
    marker = Path(f"/tmp/assay-redteam-test-{secrets.token_hex(4)}.marker")
    w = watch((f"file:{marker}",))
    w.before()
    marker.write_text("assay-redteam: left by a test\n")
    problems = w.problems("{}")
    assert any(str(marker) in p for p in problems) and not marker.exists()


def test_watch_kills_a_survivor(watch: Any) -> None:
    w = watch(("process",))
    w.before()
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", "assay-redteam-survivor"])
    problems = w.problems("{}")
    assert any(str(child.pid) in p for p in problems)
    child.wait(timeout=10)  # already reaped by the watch (ECHILD reads as 0 here); the process is gone either way
    assert not Path(f"/proc/{child.pid}").exists()


def test_watch_sees_the_listener_the_secret_and_the_canary(watch: Any) -> None:
    w = watch(("tcp-listener",))
    w.before()
    with socket.create_connection(("127.0.0.1", TCP_PORT), timeout=5) as s:
        s.sendall(b"hello")
        assert s.recv(3) == b"ack"
    time.sleep(0.2)
    problems = w.problems(f'{{"message": "s3cr3t-value-for-the-test {CANARY}"}}')
    assert any("listener" in p for p in problems)
    assert any("secret" in p for p in problems)
    assert any("reference" in p for p in problems)


def test_watch_restores_a_marked_edit_and_ignores_a_persons_edit(tmp_path: Path) -> None:
    corpus = tmp_path / "redteam"
    (corpus / "tasks" / "t").mkdir(parents=True)
    task = corpus / "tasks" / "t" / "task.py"
    task.write_text("x = 1\n")
    with Listeners() as listeners:
        w = Watch(Places.for_corpus(corpus), ("none",), listeners, "")
        w.before()
        task.write_text("x = 1\n# assay-redteam: edited\n")
        assert any("restored" in p for p in w.problems("{}"))
        assert task.read_text() == "x = 1\n"
        w.before()
        task.write_text("x = 2\n")  # no marker: somebody editing the corpus during a run
        assert w.problems("{}") == []
        assert task.read_text() == "x = 2\n"


# ---------------------------------------------------------------- the naive harness is really fooled
@pytest.mark.slow
def test_naive_harness_is_fooled_by_a_lazy_output() -> None:
    entry = BY_NAME["attacks/lazy_subclass.py"]
    assert run_naive(entry, CORPUS / "naive_harness.py", CORPUS / "tasks" / entry.task).startswith("fooled")
