"""Suite-level figures: KernelBench's fast_p and the geometric mean of verified speedups."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from assay.evaluate import EvalResult


@dataclass(frozen=True)
class SuiteSummary:
    tasks: int
    attempted: int
    verified: int
    fast: dict[float, float]  # p -> fraction of all tasks
    geomean_speedup: float | None

    def as_dict(self) -> dict[str, object]:
        return {
            "tasks": self.tasks,
            "attempted": self.attempted,
            "verified": self.verified,
            "fast_p": {f"{p:g}": v for p, v in self.fast.items()},
            "geomean_speedup": self.geomean_speedup,
        }


def best_per_task(results: Sequence[EvalResult]) -> dict[str, EvalResult]:
    """The best result of each task: verified before anything else, then the higher interval low end."""
    best: dict[str, EvalResult] = {}
    for r in results:
        current = best.get(r.task)
        if current is None or _rank(r) > _rank(current):
            best[r.task] = r
    return best


def _rank(r: EvalResult) -> tuple[int, float]:
    return (1, r.speedup_ci[0]) if r.ok and r.speedup_ci else (0, 0.0)


def summarize(
    task_names: Sequence[str], results: Sequence[EvalResult], ps: Sequence[float] = (0.0, 1.0, 1.5, 2.0)
) -> SuiteSummary:
    """fast_p = fraction of the suite's tasks whose best candidate is verified with the 95% interval's low end
    above p (fast_0 is the fraction verified). KernelBench compares the point estimate with p; assay counts a
    speedup only once the interval clears it. A task without a candidate counts as a failure.
    """
    best = best_per_task(results)
    n = len(task_names)
    verified = [best[t] for t in task_names if t in best and best[t].ok]
    fast = {
        p: (sum(1 for r in verified if p == 0 or (r.speedup_ci is not None and r.speedup_ci[0] > p)) / n if n else 0.0)
        for p in ps
    }
    speedups = [r.speedup for r in verified if r.speedup]
    geomean = math.exp(sum(math.log(s) for s in speedups) / len(speedups)) if speedups else None
    return SuiteSummary(
        tasks=n,
        attempted=sum(1 for t in task_names if t in best),
        verified=len(verified),
        fast=fast,
        geomean_speedup=geomean,
    )
