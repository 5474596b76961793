"""Two results of one task compared, in the manner of pyperf's compare_to: which changed, and significantly?

Each verified result carries a speedup over the task's reference, measured in the same evaluation, with its
95% interval. Comparing those ratios (not the raw milliseconds) cancels what changed between the two runs
on the machine itself: speedup_B / speedup_A estimates time_A / time_B of the two candidates. On the log
scale the intervals are close to symmetric, so each gives a standard error, (log high - log low) / 3.92;
the difference of two independent evaluations has the root sum of squares of theirs. A change is significant
when the 95% interval of the ratio excludes 1. The intervals already include the spread between separate
evaluations of the same code (`EvalConfig.between_runs_sd`), so an unchanged candidate compared with itself
reads "not significant" about 95% of the time, not far more often "faster" or "slower".
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from assay.evaluate import EvalResult

Z95 = 1.959963984540054


@dataclass(frozen=True)
class Comparison:
    """`changed` against `baseline` on one task."""

    task: str
    baseline: EvalResult | None
    changed: EvalResult | None
    ratio: float | None = None
    """changed's speedup / baseline's: above 1 means `changed` is faster."""
    ratio_ci: tuple[float, float] | None = None
    outcome: str = ""
    """`faster`, `slower`, `not significant`, `verdict changed`, `not verified`, `only in baseline`/`changed`."""

    def as_dict(self) -> dict[str, object]:
        def side(r: EvalResult | None) -> dict[str, object] | None:
            return None if r is None else {"candidate": r.candidate, "verdict": r.verdict, "speedup": r.speedup,
                                            "speedup_ci": r.speedup_ci}  # fmt: skip

        return {
            "task": self.task,
            "baseline": side(self.baseline),
            "changed": side(self.changed),
            "ratio": self.ratio,
            "ratio_ci": list(self.ratio_ci) if self.ratio_ci else None,
            "outcome": self.outcome,
        }


def _log_se(r: EvalResult) -> float:
    assert r.speedup_ci is not None
    low, high = r.speedup_ci
    return (math.log(high) - math.log(low)) / (2 * Z95)


def compare(task: str, baseline: EvalResult | None, changed: EvalResult | None) -> Comparison:
    """One task's two results compared; either may be missing."""
    if baseline is None or changed is None:
        return Comparison(
            task, baseline, changed, outcome="only in changed" if baseline is None else "only in baseline"
        )
    measured = [r.ok and r.speedup and r.speedup_ci and r.speedup_ci[0] > 0 for r in (baseline, changed)]
    if not all(measured):
        outcome = "verdict changed" if baseline.verdict != changed.verdict else "not verified"
        return Comparison(task, baseline, changed, outcome=outcome)
    assert baseline.speedup is not None and changed.speedup is not None
    diff = math.log(changed.speedup) - math.log(baseline.speedup)
    half = Z95 * math.hypot(_log_se(baseline), _log_se(changed))
    low, high = math.exp(diff - half), math.exp(diff + half)
    outcome = "faster" if low > 1 else "slower" if high < 1 else "not significant"
    return Comparison(task, baseline, changed, math.exp(diff), (low, high), outcome)


def _latest(results: Sequence[EvalResult]) -> dict[tuple[str, str], EvalResult]:
    """The last result of each (task, candidate): a resumed run appends a new row for an edited candidate."""
    return {(r.task, r.candidate): r for r in results}


def compare_runs(baseline: Sequence[EvalResult], changed: Sequence[EvalResult]) -> list[Comparison]:
    """Two bench runs task by task: a task with one candidate in each run pairs them whatever their names;
    otherwise candidates pair by path, then by file name."""
    before, after = _latest(baseline), _latest(changed)
    tasks = list(dict.fromkeys([t for t, _ in before] + [t for t, _ in after]))
    out: list[Comparison] = []
    for task in tasks:
        a = [r for (t, _), r in before.items() if t == task]
        b = [r for (t, _), r in after.items() if t == task]
        if len(a) == 1 and len(b) == 1:
            out.append(compare(task, a[0], b[0]))
            continue
        unmatched = list(b)
        for ra in a:
            match = next((rb for rb in unmatched if rb.candidate == ra.candidate), None) or next(
                (rb for rb in unmatched if Path(rb.candidate).name == Path(ra.candidate).name), None
            )
            if match is not None:
                unmatched.remove(match)
            out.append(compare(task, ra, match))
        out.extend(compare(task, None, rb) for rb in unmatched)
    return out


def compare_candidates(results: Sequence[EvalResult]) -> list[Comparison]:
    """Within one run: every task's other candidates against its first one."""
    by_task: dict[str, list[EvalResult]] = {}
    for r in _latest(results).values():
        by_task.setdefault(r.task, []).append(r)
    return [compare(task, rs[0], other) for task, rs in by_task.items() for other in rs[1:]]
