#!/usr/bin/env python
"""How far the offline proposer gets on the bundled tasks, through the real evaluator (default EvalConfig).

For each task (or those whose name contains one of the filters): translate, then a handful of steps of a
small best-first search, each one evaluation: repair the last child if it crashed or was incorrect (twice at
most), crossover of the two best verified candidates every third step, otherwise evolve the best verified
candidate (a random other verified one a quarter of the time). Proposals already evaluated are skipped (the
next seed is asked for; every evaluated candidate is passed as an inspiration, which the offline proposer
reads as programs to avoid). One line per task: the translation's speedup, the best verified candidate's
speedup and interval, evaluations and minutes, and what the best applies. The best is evaluated once more
at the end and that fresh figure is reported (the maximum of noisy measurements overstates), or the
translation's if the fresh interval's low end falls below the translation's; the evaluation count includes
the confirmation, and --out records the search's own figure as well.

    .venv/bin/python bench/offline_proposer.py [FILTER ...] [--steps 7] [--minutes 7] [--seed 0]
        [--markdown] [--out results.jsonl] [--keep DIR]

This search is deliberately small; the optimizer's loop (`assay optimize`) replaces it. Speedups move by a
few percent between runs on a shared machine: the verdicts and interval low ends are what to compare.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assay.evaluate import EvalConfig, EvalResult, Evaluator
from assay.search import Parent, ProposalRequest, Stage
from assay.search._offline import OfflineProposer
from assay.tasks import Task, load_suite

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Entry:
    id: int
    source: str
    description: str
    result: EvalResult

    @property
    def low(self) -> float:
        ci = self.result.speedup_ci
        return ci[0] if self.result.ok and ci else 0.0


def _step_stage(step: int, pool: list[Entry], last: Entry | None, repairs: int) -> Stage:
    if last is not None and last.result.verdict in ("crashed", "incorrect", "timeout", "flagged") and repairs < 2:
        return "repair"
    if step % 3 == 2 and sum(e.result.ok for e in pool) >= 2:
        return "crossover"
    return "evolve"


def search(task: Task, evaluator: Evaluator, proposer: OfflineProposer, args: argparse.Namespace) -> dict[str, Any]:
    started = time.monotonic()
    rng = random.Random(args.seed)
    seen: set[str] = set()
    pool: list[Entry] = []

    def evaluate(source: str, description: str) -> Entry:
        seen.add(_program(source))
        result = evaluator.evaluate(task, source, EvalConfig(), name=f"{task.name}#{len(pool)}")
        entry = Entry(len(pool), source, description, result)
        pool.append(entry)
        if args.keep:
            folder = Path(args.keep) / task.name
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{entry.id:02d}_{result.verdict}.py").write_text(source)
        print(f"  [{entry.id}] {result.verdict} {_speed(result)}  {description}", file=sys.stderr, flush=True)
        return entry

    first = proposer.propose(ProposalRequest(task=task, stage="translate", seed=args.seed))
    start = evaluate(first.source or "", first.description)
    last: Entry | None = start
    repairs = 0
    seed = args.seed
    for step in range(args.steps):
        if time.monotonic() - started > args.minutes * 60:
            break
        stage = _step_stage(step, pool, last, repairs)
        verified = sorted((e for e in pool if e.result.ok), key=lambda e: -e.low)
        parents: tuple[Parent, ...]
        if stage == "repair" and last is not None:
            parents = (Parent(last.id, last.source, last.result),)
        elif stage == "crossover":
            parents = tuple(Parent(e.id, e.source, e.result) for e in verified[:2])
        else:
            pick = verified[0] if verified and rng.random() < 0.75 else rng.choice(verified or pool)
            parents = (Parent(pick.id, pick.source, pick.result),)
        for _ in range(20):  # a proposal already evaluated is skipped: ask with the next seed
            seed += 1
            attempt = repairs if stage == "repair" else 0
            others = tuple(Parent(e.id, e.source, e.result) for e in pool)
            request = ProposalRequest(
                task=task, stage=stage, parents=parents, inspirations=others, attempt=attempt, seed=seed
            )
            proposal = proposer.propose(request)
            if proposal.source and _program(proposal.source) not in seen:
                break
        else:
            last = None
            continue
        assert proposal.source is not None
        repairs = repairs + 1 if stage == "repair" else 0
        last = evaluate(proposal.source, proposal.description)
    best = max(pool, key=lambda e: e.low)
    searched = best.result
    if best is not start and args.confirm:
        # The best of several noisy measurements is biased upwards: the table reports a fresh evaluation, or
        # the translation when the fresh one falls below it.
        confirmed = evaluate(best.source, "confirmation of the best: " + best.description)
        best = confirmed if confirmed.low >= start.low else start
    return {
        "task": task.name,
        "start": start.result.speedup if start.result.ok else None,
        "start_verdict": start.result.verdict,
        "best": best.result.speedup if best.result.ok else None,
        "best_ci": best.result.speedup_ci if best.result.ok else None,
        "best_verdict": best.result.verdict,
        "search_ci": searched.speedup_ci,
        "evaluations": len(pool),
        "minutes": round((time.monotonic() - started) / 60, 2),
        "description": best.description,
    }


def _program(source: str) -> str:
    """The program without its first line (the header also records the stage and the last change)."""
    return hashlib.sha256(source.split("\n", 1)[-1].encode()).hexdigest()


def _speed(result: EvalResult) -> str:
    if not result.ok or result.speedup is None or not result.speedup_ci:
        return result.message[:160].replace("\n", " ")
    return f"{result.speedup:.3f}x [{result.speedup_ci[0]:.3f}, {result.speedup_ci[1]:.3f}]"


def _row(r: dict[str, Any], markdown: bool) -> str:
    start = f"{r['start']:.3f}x" if r["start"] else r["start_verdict"]
    best = f"{r['best']:.3f}x" if r["best"] else r.get("best_verdict", "-")
    ci = f"[{r['best_ci'][0]:.3f}, {r['best_ci'][1]:.3f}]" if r["best_ci"] else "-"
    what = r["description"].split("Program: ", 1)[-1].rstrip(".")
    cells = [r["task"], start, best, ci, str(r["evaluations"]), f"{r['minutes']:.1f}", what]
    return "| " + " | ".join(cells) + " |" if markdown else "  ".join(cells)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("filters", nargs="*", help="task names containing any of these (default: all)")
    parser.add_argument("--suite", default=str(ROOT / "tasks"))
    parser.add_argument("--steps", type=int, default=7, help="search steps after the translation")
    parser.add_argument("--minutes", type=float, default=7.0, help="no new step after this many minutes")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument(
        "--no-confirm", dest="confirm", action="store_false", help="report the search's own figure for the best"
    )
    parser.add_argument("--out", help="append each task's result as a JSON line")
    parser.add_argument("--keep", help="write every candidate under DIR/<task>/")
    args = parser.parse_args()
    tasks = [t for t in load_suite(args.suite) if not args.filters or any(f in t.name for f in args.filters)]
    proposer = OfflineProposer()
    if args.markdown:
        print("| task | start | best | interval | evaluations | minutes | best applies |")
        print("|---|---|---|---|---|---|---|")
    with Evaluator() as evaluator:
        for task in tasks:
            print(f"{task.name}:", file=sys.stderr, flush=True)
            result = search(task, evaluator, proposer, args)
            print(_row(result, args.markdown), flush=True)
            if args.out:
                with open(args.out, "a") as f:
                    f.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
