"""Evaluations per minute of `assay optimize` on a small task, against a bare loop over the same evaluator.

    python bench/optimize_throughput.py [--task tasks/l1_swish] [--evals 20] [--quick] [--proposer fixed|offline]

The `fixed` proposer costs nothing: each proposal is the task's own Model renamed ModelNew, with a distinct,
harmless constant so that no two are duplicates. What is measured is then the search's own cost around the
warm evaluator (planning, duplicate checks, the run file's transactions, the final confirming evaluation off):
the figure to compare is evaluations per minute of the search against the bare loop. `offline` measures the
offline proposer's loop instead, where it is installed.
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time
from pathlib import Path

from rich.console import Console

from assay.evaluate import Evaluator
from assay.search import (
    Budget,
    EvalSettings,
    LineReporter,
    Proposal,
    ProposalRequest,
    SearchConfig,
    make_proposer,
    optimize,
)
from assay.store import RunStore
from assay.tasks import Task, load_task


class FixedProposer:
    """The task's Model as ModelNew, made distinct by a constant that changes nothing."""

    name = "fixed"

    def propose(self, request: ProposalRequest) -> Proposal:
        source = re.sub(r"\bclass Model\b", "class ModelNew", request.task.source)
        source += f"\n\n_VARIANT = {request.seed % 1_000_003}\n"
        return Proposal(source, self.name, description="the task's Model")


def bare_loop(task: Task, evaluator: Evaluator, settings: EvalSettings, n: int) -> tuple[float, list[float]]:
    proposer = FixedProposer()
    config = settings.search_config()
    started = time.monotonic()
    times = []
    for step in range(n):
        source = proposer.propose(ProposalRequest(task, "translate", seed=step)).source or ""
        times.append(evaluator.evaluate(task, source, config).elapsed_s)
    return time.monotonic() - started, times


def search(
    task: Task, evaluator: Evaluator, settings: EvalSettings, n: int, proposer_name: str
) -> tuple[float, list[float], str]:
    config = SearchConfig(proposer=proposer_name, seed=1, budget=Budget(evals=n), confirm=False, eval=settings)
    proposer = FixedProposer() if proposer_name == "fixed" else make_proposer(config)
    with tempfile.TemporaryDirectory() as runs:
        started = time.monotonic()
        outcome = optimize(
            task,
            config,
            evaluator,
            LineReporter(Console(stderr=True, quiet=True)),
            runs_dir=Path(runs),
            proposer=proposer,
        )
        wall = time.monotonic() - started
        store = RunStore.open(outcome.run_file)
        times = [e.result().elapsed_s for e in store.evaluations("search")]
        store.close()
    return wall, times, outcome.stop_reason


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", default="tasks/l1_swish")
    parser.add_argument("--evals", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="the search's shorter evaluations")
    parser.add_argument("--proposer", default="fixed", choices=["fixed", "offline"])
    args = parser.parse_args()
    task = load_task(args.task)
    settings = EvalSettings(quick=args.quick)
    with Evaluator() as evaluator:
        evaluator.evaluate(
            task, FixedProposer().propose(ProposalRequest(task, "translate")).source or "", settings.search_config()
        )
        bare_wall, bare_times = bare_loop(task, evaluator, settings, args.evals)
        wall, times, reason = search(task, evaluator, settings, args.evals, args.proposer)
    print(f"task {task.name}, {'quick' if args.quick else 'full'} evaluations, proposer {args.proposer}")
    for label, w, t in (("bare loop", bare_wall, bare_times), ("assay optimize", wall, times)):
        print(
            f"{label:<15} {len(t):3d} evaluations in {w:6.1f} s: {60 * len(t) / w:5.1f} per minute; "
            f"evaluate() median {statistics.median(t):.2f} s, the rest {w - sum(t):5.1f} s"
        )
    print(f"search stopped: {reason}")


if __name__ == "__main__":
    main()
