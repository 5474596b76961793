"""`assay optimize` end to end against a scripted LLM server on loopback (paid APIs cannot run in tests; the
official clients, HTTP, the evaluator, its sandbox and the run's SQLite file are real).

The script answers by (stage, step, attempt), which the loop makes the same in every session, so an interrupted
and resumed run gets the replies an uninterrupted one gets.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.console import Console

from assay.cli import main
from assay.evaluate import Evaluator
from assay.search import Budget, LineReporter, LLMSettings, SearchConfig, optimize
from assay.search import EvalSettings as SearchEval
from assay.store import EvaluationRow, RunStore
from assay.tasks import load_task
from tests.conftest import FIXTURES, QUICK
from tests.scripted_llm import Reply, Request, ScriptedLLM

TASK = FIXTURES / "eval" / "task_tanh.py"
HEAD = (
    "import torch\nimport torch.nn as nn\n\n\nclass ModelNew(nn.Module):\n    def __init__(self, scale):\n"
    "        super().__init__()\n        self.scale = scale\n\n    def forward(self, x):\n"
)
GOOD = HEAD + "        return torch.tanh(x) * self.scale\n"
WRONG = HEAD + "        return torch.tanh(x)\n"
CRASH = HEAD + "        raise RuntimeError('no kernel for this shape')\n"
SYNTAX = HEAD + "        return torch.tanh(x) * self.scale)\n"


def slow(k: int) -> str:
    """Correct, and slower than GOOD by k - 1 units of four extra tanh passes: speeds far enough apart that their
    order is never in doubt. (One extra pass per unit was not: a worker's call costs about 0.3 ms here whatever it
    computes, and a tanh pass 0.06 ms, so slow(2) and slow(3) read 0.83x and 0.87x, in either order.)"""
    return (
        HEAD
        + f"        for _ in range({4 * (k - 1)}):\n            torch.tanh(x)\n"
        + "        return torch.tanh(x) * self.scale\n"
    )


def fenced(source: str, note: str = "A change.") -> Reply:
    return Reply(f"{note}\n```python\n{source}```\n")


EDIT_INPLACE = Reply(
    "In place.\n<<<<<<< SEARCH\n        return torch.tanh(x) * self.scale\n=======\n"
    "        return torch.tanh(x).mul_(self.scale)\n>>>>>>> REPLACE\n"
)


def _quick_eval() -> SearchEval:
    return SearchEval(quick=True, timeout_s=QUICK.timeout_s)


def _run(server: ScriptedLLM, evaluator: Evaluator, runs: Path, models: list[str], **config: object):
    settings = SearchConfig(
        proposer="llm",
        eval=_quick_eval(),
        confirm=False,
        llm=LLMSettings(models=models),
        **config,
    )
    outcome = optimize(load_task(TASK), settings, evaluator, LineReporter(Console(stderr=True)), runs_dir=runs)
    return outcome, RunStore.open(outcome.run_file)


# Flags that a busy machine can put on an honest program (the evaluator compares clocks, off-CPU time and the
# reference's time by round order, which other processes disturb). A scenario whose honest programs drew one is
# measured again, up to TRIES times: its lineage depends on which programs were verified, so a noisy verdict
# changes what is compared.
TIMING_FLAGS = {"clock-mismatch", "off-cpu", "reference-harmed"}
TRIES = 3


def _noisy(run_file: Path) -> bool:
    store = RunStore.open(run_file)
    try:
        flagged = [e.result() for e in store.evaluations() if e.verdict == "flagged"]
    finally:
        store.close()
    return any({f.id for f in r.flags} <= TIMING_FLAGS for r in flagged)


# -- the whole loop --------------------------------------------------------------------------------------------


def full_loop_script(request: Request, limited: set[str]) -> Reply:
    """Step 0 translates through a syntax error and a wrong answer to GOOD; step 1 fails (no code, a crash, and a
    duplicate of step 0's wrong answer); steps 2-3 evolve GOOD (the only verified program); later steps cross."""
    step, attempt, stage = request.step, request.attempt, request.stage
    if (step, attempt) == (0, 0):
        if request.key not in limited:
            limited.add(request.key)
            return Reply(status=429, headers={"retry-after": "1"})  # rate limited once: honoured, then answered
        return fenced(SYNTAX)
    table = {
        (0, 1, "repair"): fenced(WRONG),
        (0, 2, "repair"): fenced(GOOD, "Scale the output."),
        (1, 0, "translate"): Reply("I cannot write this kernel."),
        (1, 1, "translate"): fenced(CRASH),
        (1, 2, "repair"): fenced(WRONG.replace("return", "return  ")),  # a near-duplicate of step 0's attempt
        (2, 0, "evolve"): EDIT_INPLACE,
        (3, 0, "evolve"): fenced(HEAD + "        return torch.mul(torch.tanh(x), self.scale)\n"),
        (4, 0, "crossover"): fenced(HEAD + "        y = torch.tanh(x)\n        return y.mul_(self.scale)\n"),
        (5, 0, "crossover"): fenced(GOOD.replace("return", "# same as before\n        return")),  # a duplicate
        (5, 1, "crossover"): fenced(HEAD + "        return torch.tanh_(x.clone()).mul_(self.scale)\n"),
        (6, 0, "crossover"): fenced(slow(2)),
    }
    return table.get((step, attempt, stage), Reply(f"unexpected request {stage} {step}.{attempt}"))


def test_full_loop(tmp_path: Path, evaluator: Evaluator) -> None:
    for attempt in range(TRIES):
        limited: set[str] = set()
        with ScriptedLLM(lambda request, limited=limited: full_loop_script(request, limited)) as server:
            models = [
                f"openai:scripted-gpt@{server.openai_url}=1",
                f"anthropic:scripted-claude@{server.anthropic_url}=1",
            ]
            outcome, store = _run(
                server,
                evaluator,
                tmp_path / str(attempt),
                models,
                seed=3,
                parallel=2,
                crossover_rate=1.0,
                budget=Budget(evals=8),
            )
            served = list(server.replies)
        if not _noisy(outcome.run_file):
            break
        store.close()
    else:
        pytest.fail(f"honest programs drew timing flags in {TRIES} runs: the machine is too busy to measure")
    try:
        candidates = {(c.step, c.attempt): c for c in store.candidates()}
        verdicts = {(c.step, c.attempt): e.verdict for c in candidates.values() if (e := store.evaluation(c.id))}
        calls = store.calls()
    finally:
        store.close()
    assert outcome.stop_reason == "evaluation budget reached (8)" and outcome.evals == 8 == len(verdicts)
    assert {c.stage for c in candidates.values()} == {"translate", "repair", "evolve", "crossover"}
    assert verdicts == {
        (0, 1): "incorrect",
        (0, 2): "verified",
        (1, 1): "crashed",
        (2, 0): "verified",
        (3, 0): "verified",
        (4, 0): "verified",
        (5, 1): "verified",
        (6, 0): "verified",
    }
    reasons = {key: c.reject_reason for key, c in candidates.items() if c.status == "rejected"}
    assert set(reasons) == {(0, 0), (1, 0), (1, 2), (5, 0)}
    assert reasons[(0, 0)].startswith("syntax error at line 11")
    assert "neither a ```python block" in reasons[(1, 0)]
    assert "near-duplicate of candidate" in reasons[(1, 2)] and "near-duplicate" in reasons[(5, 0)]
    # Lineage: repairs descend from the failed child; evolution only from verified programs.
    good = candidates[(0, 2)]
    assert good.parent_ids == (candidates[(0, 1)].id,) and candidates[(0, 1)].parent_ids == (candidates[(0, 0)].id,)
    assert candidates[(2, 0)].parent_ids == (good.id,) == candidates[(3, 0)].parent_ids
    verified_ids = {candidates[k].id for k, v in verdicts.items() if v == "verified"}
    for key in ((4, 0), (5, 1), (6, 0)):
        assert len(candidates[key].parent_ids) == 2 and set(candidates[key].parent_ids) <= verified_ids
    assert "mul_" in (candidates[(2, 0)].source or "")  # the edit was applied to the parent
    # The repair prompt carried the evaluator's feedback; the retry after a reply without code said why.
    prompts = {(r.step, r.attempt): r.user for r, reply in served if reply.status == 200}
    assert "Verdict: incorrect." in prompts[(0, 2)] and "Evaluator's message:" in prompts[(0, 2)]
    assert "syntax error at line 11" in prompts[(0, 1)] and "could not be used" in prompts[(1, 1)]
    # Every prompt and reply is in the run file, verbatim; both APIs were used.
    answered = [(r, reply) for r, reply in served if reply.status == 200]
    assert len(served) == len(answered) + 1  # the one 429
    assert len(calls) == len(answered) == len(candidates)
    stored = {(json.loads(c.prompt)["user"], c.reply) for c in calls}
    assert stored == {(r.user, reply.text) for r, reply in answered}
    assert {r.api for r, _ in answered} == {"openai", "anthropic"}
    assert sum(c.input_tokens + c.output_tokens for c in calls) == 180 * len(calls)
    assert outcome.best is not None and outcome.best.id in verified_ids and outcome.ok
    assert (tmp_path / str(attempt) / outcome.run_id / "best.py").read_text() == outcome.best.source


# -- budgets ---------------------------------------------------------------------------------------------------


def test_token_money_time_and_stall_budgets(tmp_path: Path, evaluator: Evaluator) -> None:
    """Replies without code cost a call each and no evaluation: each budget is seen in isolation, quickly."""
    no_code = lambda r: Reply("Sorry, no code today.", usage=(1000, 500))  # noqa: E731
    with ScriptedLLM(no_code) as server:
        model = [f"openai:scripted@{server.openai_url}"]
        outcome, store = _run(server, evaluator, tmp_path / "t", model, budget=Budget(tokens=3500))
        assert outcome.stop_reason == "token budget reached (4500 of 3500)" and store.usage().calls == 3
        store.close()
        priced = LLMSettings(models=model, prices={"scripted": (100.0, 100.0)})  # $0.15 a call
        settings = SearchConfig(proposer="llm", budget=Budget(usd=0.4), llm=priced, eval=_quick_eval())
        outcome = optimize(load_task(TASK), settings, evaluator, LineReporter(Console()), runs_dir=tmp_path / "u")
        store = RunStore.open(outcome.run_file)
        assert outcome.stop_reason.startswith("money budget reached ($0.4500") and store.usage().calls == 3
        store.close()
        outcome, store = _run(server, evaluator, tmp_path / "s", model, max_idle=4)
        assert outcome.stop_reason.startswith("stalled: 4 attempts") and outcome.best is None and not outcome.ok
        store.close()
    with ScriptedLLM(lambda r: Reply("Still thinking.", delay_s=0.5)) as server:
        started = time.monotonic()
        outcome, store = _run(
            server, evaluator, tmp_path / "m", [f"openai:s@{server.openai_url}"], budget=Budget(minutes=0.025)
        )
        assert outcome.stop_reason == "time budget reached (0.025 min)" and 1.5 <= time.monotonic() - started < 5
        assert 2 <= store.usage().calls <= 4
        store.close()


# -- resume after SIGKILL --------------------------------------------------------------------------------------


def resume_script(request: Request) -> Reply:
    """Correct programs of well separated speeds (GOOD, slow(2), slow(3), slow(4), slow(16), ...), so that the
    parents the search draws by rank are the same in every run; one reply without code, one wrong program
    repaired."""
    step, attempt = request.step, request.attempt
    if step == 0:
        return fenced(GOOD)
    if step in (1, 3) and attempt == 0:
        return Reply("Let me think about it.") if step == 1 else fenced(WRONG)
    if step in (1, 3):
        return fenced(slow(2 if step == 1 else 3))
    return fenced(slow(2**step))


def _cli(args: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "assay", *args],
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def _final_state(run_file: Path) -> dict[tuple[int, int], tuple[str, str | None, tuple[tuple[int, int], ...], str]]:
    """Each candidate by (step, attempt): its stage, source, parents (by step and attempt) and verdict."""
    store = RunStore.open(run_file)
    try:
        rows = store.candidates()
        where = {c.id: (c.step, c.attempt) for c in rows}
        state = {}
        for c in rows:
            e = store.evaluation(c.id)
            state[(c.step, c.attempt)] = (
                c.stage,
                c.source,
                tuple(where[p] for p in c.parent_ids),
                e.verdict if e else c.status,
            )
        return state
    finally:
        store.close()


def test_resume_after_sigkill_reaches_the_uninterrupted_state(tmp_path: Path) -> None:
    with ScriptedLLM(resume_script) as server:
        args = [
            "optimize",
            str(TASK),
            "--proposer",
            "llm",
            "--model",
            f"openai:scripted@{server.openai_url}",
            "--budget-evals",
            "7",
            "--seed",
            "11",
            "--parallel",
            "2",
            "--quick",
            "--no-confirm",
            "--plain",
        ]
        for attempt in range(TRIES):
            whole_dir, killed_dir = tmp_path / f"whole{attempt}", tmp_path / f"killed{attempt}"
            whole = _cli([*args, "--run-dir", str(whole_dir)])
            _, err = whole.communicate(timeout=240)
            assert whole.returncode == 0, err
            whole_file = next(whole_dir.glob("*/run.sqlite"))
            run_file, before, out = _kill_and_resume(args, killed_dir)
            if not _noisy(whole_file) and not _noisy(run_file):
                break
        else:
            pytest.fail(f"honest programs drew timing flags in {TRIES} tries: the machine is too busy to measure")
    assert _final_state(run_file) == _final_state(whole_file)
    store = RunStore.open(run_file)
    after = store.evaluations()
    assert store.run().sessions == 2 and store.run().status == "finished"
    store.close()
    assert [e.result_json for e in after[: len(before)]] == [e.result_json for e in before]  # nothing redone
    assert len(after) == 7
    assert "score log" in out and "written" in out
    show = CliRunner().invoke(main, ["show", run_file.parent.name, "--run-dir", str(killed_dir)])
    assert show.exit_code == 0 and "lineage of the best candidate" in show.output and "translate" in show.output


def _kill_and_resume(args: list[str], runs: Path) -> tuple[Path, list[EvaluationRow], str]:
    """Start the run, SIGKILL it in the middle of an evaluation, resume it: its file, what it held at the kill,
    and what the resumed command printed."""
    killed = _cli([*args, "--run-dir", str(runs)])
    run_file = _wait_for_evaluation(runs, killed, done=3)
    killed.send_signal(signal.SIGKILL)  # the orchestrator only: its zygote and workers must not outlive it
    killed.wait()
    deadline = time.monotonic() + 10
    while _group_alive(killed.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _group_alive(killed.pid), "the zygote or a worker outlived the killed orchestrator"
    store = RunStore.open(run_file)
    before = store.evaluations()
    assert store.run().status == "running" and 3 <= len(before) < 7
    store.close()
    runs_listing = CliRunner().invoke(main, ["runs", "--run-dir", str(runs)])
    assert "interrupted" in runs_listing.output
    resumed = _cli(["optimize", "--resume", run_file.parent.name, "--run-dir", str(runs), "--plain"])
    out, err = resumed.communicate(timeout=240)
    assert resumed.returncode == 0, err
    return run_file, before, out


def _wait_for_evaluation(runs: Path, process: subprocess.Popen[str], done: int) -> Path:
    """The run file, once `done` evaluations are recorded and the next one is under way."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()[1]
        for path in runs.glob("*/run.sqlite"):
            try:
                conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
                finished = conn.execute("SELECT COUNT(*) FROM evaluations").fetchone()[0]
                running = conn.execute("SELECT COUNT(*) FROM candidates WHERE status = 'evaluating'").fetchone()[0]
                conn.close()
            except sqlite3.Error:
                continue
            if finished >= done and running:
                return path
        time.sleep(0.05)
    raise AssertionError("the run never reached the evaluation to interrupt")


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


# -- keys never reach candidate code ---------------------------------------------------------------------------

SECRET = "sk-assay-test-4f1c9e0b"


def hunter(secret: str) -> str:
    """A candidate that looks for `secret` everywhere it can, and answers wrongly if it finds it."""
    return (
        "import glob, os\n"
        + HEAD.replace(
            "class ModelNew",
            "SECRET = " + repr(secret) + "\n\n\ndef found():\n"
            "    if any(SECRET in v for v in os.environ.values()):\n        return True\n"
            "    for path in ['/proc/self/environ', *glob.glob('/proc/*/environ')]:\n        try:\n"
            "            if SECRET.encode() in open(path, 'rb').read():\n                return True\n"
            "        except OSError:\n            pass\n    return False\n\n\nFOUND = found()\n\n\nclass ModelNew",
        )
        + "        return torch.tanh(x) * self.scale + (1.0 if FOUND else 0.0)\n"
    )


def test_candidates_never_see_the_orchestrators_api_key(tmp_path: Path, evaluator: Evaluator) -> None:
    control = evaluator.evaluate(TASK, hunter("C.UTF-8"), QUICK)  # a value the sandbox does set: the hunt works
    assert control.verdict == "incorrect"
    with ScriptedLLM(lambda r: fenced(hunter(SECRET))) as server:
        run = _cli(
            [
                "optimize",
                str(TASK),
                "--proposer",
                "llm",
                "--model",
                f"openai:gpt-4.1@{server.openai_url}",
                "--budget-evals",
                "1",
                "--quick",
                "--no-confirm",
                "--plain",
                "--run-dir",
                str(tmp_path),
            ],
            env={"OPENAI_API_KEY": SECRET},
        )
        _, err = run.communicate(timeout=120)
        assert server.requests[0].headers["authorization"] == f"Bearer {SECRET}"  # the orchestrator had the key
    assert run.returncode == 0, err
    store = RunStore.open(next(tmp_path.glob("*/run.sqlite")))
    (evaluation,) = store.evaluations()
    assert evaluation.verdict == "verified"  # the candidate looked everywhere and did not find it
    assert SECRET not in store.run().config
    store.close()


# -- the command line's user errors ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["optimize", str(TASK), "--budget-evals", "0"], "--budget-evals must be positive"),
        (["optimize", str(TASK), "--budget-usd", "-1"], "--budget-usd must be positive"),
        (["optimize", str(TASK), "--proposer", "llm"], "needs at least one --model"),
        (["optimize", str(TASK), "--proposer", "llm", "--model", "openai:gpt-4.1"], "no API key for openai:gpt-4.1"),
        (["optimize", str(TASK), "--proposer", "llm", "--model", "gpt-4.1"], "--model takes PROVIDER:MODEL"),
        (["optimize", str(TASK), "--proposer", "nope"], "unknown proposer 'nope'"),
        (["optimize"], "give a TASK to optimize, or --resume RUN"),
        (["optimize", str(TASK), "--resume", "x"], "with --resume, give only"),
        (["optimize", "--resume", "missing-run"], "no run 'missing-run'"),
        (["optimize", "--resume", "missing-run", "--seed", "3"], "with --resume, give only"),
        (["show", "missing-run"], "no run 'missing-run'"),
    ],
)
def test_user_mistakes_are_one_sentence(args: list[str], message: str, tmp_path: Path) -> None:
    env = {"OPENAI_API_KEY": "", "OPENAI_BASE_URL": ""}
    result = CliRunner().invoke(main, [*args, "--run-dir", str(tmp_path)], env=env)
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output


def test_a_refused_key_stops_the_run_with_one_sentence(tmp_path: Path) -> None:
    with ScriptedLLM(lambda r: Reply(status=401)) as server:
        args = ["optimize", str(TASK), "--proposer", "llm", "--model", f"openai:gpt-4.1@{server.openai_url}"]
        result = CliRunner().invoke(main, [*args, "--run-dir", str(tmp_path), "--plain"])
    assert result.exit_code == 2 and "openai:gpt-4.1: the API key was refused (HTTP 401)" in result.output
    store = RunStore.open(next(tmp_path.glob("*/run.sqlite")))
    assert store.run().status == "failed" and "401" in store.run().stop_reason
    store.close()
