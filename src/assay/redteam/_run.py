"""Run a corpus through the real evaluator, one file at a time, and judge each row."""

from __future__ import annotations

import fnmatch
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from assay.errors import InfrastructureError
from assay.evaluate import EvalConfig, EvalResult, Evaluator
from assay.redteam._effects import Places, Watch, ensure_secret, final_sweep
from assay.redteam._header import CorpusEntry, load_corpus
from assay.redteam._listen import Listeners
from assay.redteam._naive import naive_eligible, run_naive
from assay.redteam._processes import set_subreaper
from assay.redteam._render_check import rendering_problems
from assay.redteam._row import RedteamRow
from assay.tasks import load_task

NAIVE_HARNESS = "naive_harness.py"


def fast_eval_config() -> EvalConfig:
    """Fewer timing rounds than a real evaluation: the corpus needs verdicts, not tight intervals.

    Eight rounds still run every attack past its "honest for the first few calls" phase (the extra sizes,
    calibration and warm-up come first). A 10 s call limit (the default) ends hangs; 200 s covers compiler builds
    at construction on a busy 2-core machine.
    """
    return EvalConfig(
        timeout_s=240.0,
        construct_timeout_s=200.0,
        call_timeout_s=10.0,
        min_rounds=8,
        max_rounds=16,
        timing_budget_s=0.5,
        warmup_s=0.1,
        bootstrap_resamples=1000,
    )


@dataclass(frozen=True)
class RedteamConfig:
    """Options of a red-team run."""

    eval_config: EvalConfig = field(default_factory=fast_eval_config)
    only: str | None = None  # comma-separated globs or substrings matched against "attacks/name.py", the stem, the id
    naive: bool = False  # also run in-process attacks through the naive harness
    progress: Callable[[RedteamRow], None] | None = None


def _matches(entry: CorpusEntry, pattern: str) -> bool:
    if any(c in pattern for c in "*?["):
        return fnmatch.fnmatch(entry.name, pattern) or fnmatch.fnmatch(entry.path.stem, pattern)
    return pattern in entry.name or pattern == entry.id


def select(entries: list[CorpusEntry], patterns: str | None) -> list[CorpusEntry]:
    """The entries matching any of the comma-separated patterns (globs, substrings or attack ids); all if None."""
    if not patterns:
        return entries
    wanted = [p.strip() for p in patterns.split(",") if p.strip()]
    return [e for e in entries if any(_matches(e, p) for p in wanted)]


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def expectation_met(expect: str, result: EvalResult) -> bool:
    verdict, _, flag = expect.partition(":")
    if verdict == "not-verified":
        return result.verdict != "verified"
    if verdict == "not-faster":  # correct, so possibly verified, but never reported faster than the reference
        return result.verdict != "verified" or (result.comparison != "faster" and (result.speedup or 0.0) < 1.0)
    if flag:
        return result.verdict == "flagged" and flag in {f.id for f in result.flags}
    return result.verdict == verdict


def judge(entry: CorpusEntry, result: EvalResult) -> list[str]:
    """Why the evaluator's answer breaks the header's promise (empty when it keeps it)."""
    reasons = []
    if entry.kind == "control":
        if result.verdict != "verified":
            reasons.append(f"honest control not verified: {result.verdict}")
        return reasons
    if result.verdict == "verified" and (result.speedup or 0.0) > 1.0:
        reasons.append(f"attack verified with a speedup of {result.speedup:.3g}x")
    if not expectation_met(entry.expect, result):
        flags = ",".join(f.id for f in result.flags)
        reasons.append(f"expected {entry.expect}, got {result.verdict}{f' [{flags}]' if flags else ''}")
    return reasons


def _row(
    entry: CorpusEntry, result: EvalResult | None, error: str, problems: list[str], naive: str | None
) -> RedteamRow:
    reasons = [f"assay failed: {error}"] if result is None else judge(entry, result) + rendering_problems(result)
    reasons += problems
    caught = error
    if result is not None:
        caught = f"{result.flags[0].id}: {result.flags[0].evidence}" if result.flags else result.message
    return RedteamRow(
        file=entry.name,
        kind=entry.kind,
        attack=entry.id,
        variant=entry.variant,
        task=entry.task,
        expected=entry.expect,
        verdict=result.verdict if result is not None else "error",
        speedup=result.speedup if result is not None else None,
        flags=[f.id for f in result.flags] if result is not None else [],
        caught=_short(caught),
        side_effects="; ".join(problems) or "ok",
        isolation=str(result.isolation.get("level", "")) if result is not None else "",
        elapsed_s=round(result.elapsed_s, 2) if result is not None else 0.0,
        naive=naive,
        reasons=reasons,
        passed=not reasons,
    )


def _evaluate(
    evaluator: Evaluator, corpus: Path, entry: CorpusEntry, config: EvalConfig
) -> tuple[EvalResult | None, str]:
    try:
        return evaluator.evaluate(load_task(corpus / "tasks" / entry.task), entry.path, config), ""
    except InfrastructureError as exc:
        return None, f"{type(exc).__name__}: {exc}"


def run_corpus(corpus_dir: Path, config: RedteamConfig | None = None) -> list[RedteamRow]:
    """Evaluate every selected attack and control of `corpus_dir` with the real sandbox, one at a time.

    Raises:
        UserError: the corpus is missing or a header is malformed (HeaderError), or a task is (TaskError).
        InfrastructureError: the loopback listeners cannot start.
    """
    config = config or RedteamConfig()
    corpus = corpus_dir.resolve()
    entries = select(load_corpus(corpus), config.only)
    places = Places.for_corpus(corpus)
    secret = ensure_secret()
    rows: list[RedteamRow] = []
    evaluator: Evaluator | None = None
    set_subreaper(True)
    try:
        with Listeners() as listeners:
            for entry in entries:
                evaluator = evaluator or Evaluator()
                watch = Watch(places, entry.side_effects, listeners, secret)
                watch.before()
                result, error = _evaluate(evaluator, corpus, entry, config.eval_config)
                if result is None:
                    evaluator.close()
                    evaluator = None
                problems = watch.problems(result.model_dump_json() if result is not None else error)
                naive = None
                if config.naive and naive_eligible(entry):
                    naive = run_naive(entry, corpus / NAIVE_HARNESS, corpus / "tasks" / entry.task)
                rows.append(_row(entry, result, error, problems, naive))
                if config.progress is not None:
                    config.progress(rows[-1])
            time.sleep(0.2)
            rows = [_late(places, entries, row) for row in rows]
    finally:
        if evaluator is not None:
            evaluator.close()
        set_subreaper(False)
    return rows


def _late(places: Places, entries: list[CorpusEntry], row: RedteamRow) -> RedteamRow:
    entry = next(e for e in entries if e.name == row.file)
    late = final_sweep(places, entry.side_effects)
    if not late:
        return row
    effects = late if row.side_effects == "ok" else [row.side_effects, *late]
    return row.model_copy(
        update={"side_effects": "; ".join(effects), "reasons": [*row.reasons, *late], "passed": False}
    )
