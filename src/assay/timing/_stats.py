"""Statistics of paired, interleaved timing samples (measurement.md sections 1.1, 1.3 and 4.4).

Each round holds one reference and one candidate sample taken back to back, so the unit of evidence is the
round's log-ratio log(reference / candidate): whatever slowed the machine during the round slowed both, and
cancels. The estimate is exp of the 20%-trimmed mean of those log-ratios, and its 95% interval a bootstrap over
rounds.

Why not the ratio of the two medians: it pairs nothing, so on a machine whose speed jumps between two states
(a busy neighbour on the sibling hyperthread: a pinned pure-Python loop here took 2.4-2.9 ms or 4.3-4.6 ms,
nothing in between) each median lands on either state; over 10 A/A runs of 200 rounds it strayed up to 3.8%
from 1 with intervals of +/-2.7%, where the paired estimate stayed within 1.8% with +/-1.2% (the same samples,
`bench/estimators.py`). Why trimmed: a round that caught a long stall on one side is an outlier in its
log-ratio; the mean of the middle 60% ignores those while still charging a candidate for slowness it shows in
more than a fifth of its calls, which a median would let it hide in up to half.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Speedup:
    value: float
    low: float
    high: float
    rounds: int

    @property
    def halfwidth(self) -> float:
        """Relative half-width of the interval, e.g. 0.01 for about +/-1%."""
        return (self.high - self.low) / (2 * self.value)

    def widened(self, between_sd: float) -> Speedup:
        """The interval widened by a spread that no single run can see, added in quadrature on the log scale.

        `between_sd` is the sd of the log-speedup between separate evaluations of the same code that is not
        sampling noise within a run (process placement, memory layout: it persists through a run, so more
        rounds do not shrink it). Each end moves out to sqrt(its own distance^2 + (1.96 x between_sd)^2).
        """
        if between_sd <= 0:
            return self
        extra = (1.96 * between_sd) ** 2
        below = math.sqrt(math.log(self.value / self.low) ** 2 + extra)
        above = math.sqrt(math.log(self.high / self.value) ** 2 + extra)
        return Speedup(self.value, self.value * math.exp(-below), self.value * math.exp(above), self.rounds)

    def comparison(self, noise_floor: float) -> str:
        """'faster' only when the interval excludes 1 and the speedup clears the noise floor (both ways)."""
        if self.low > 1.0 and self.value >= 1.0 + noise_floor:
            return "faster"
        if self.high < 1.0 and self.value <= 1.0 / (1.0 + noise_floor):
            return "slower"
        return "no measurable difference"


TRIM = 0.2  # of the rounds, at each end


def trimmed_mean(values: np.ndarray) -> np.ndarray:
    """The mean of the middle values along the last axis, `TRIM` of them cut at each end."""
    n = values.shape[-1]
    cut = int(TRIM * n)
    ordered = np.sort(values, axis=-1)
    return np.asarray(ordered[..., cut : n - cut].mean(axis=-1))


def approx_halfwidth(reference: list[float] | np.ndarray, candidate: list[float] | np.ndarray) -> float:
    """A cheap stand-in for the bootstrap's relative half-width: 1.96 standard errors of the trimmed mean.

    The standard error is Tukey and McLaughlin's (the winsorized sd over (1 - 2 x TRIM) sqrt(n)). On 200-round
    A/A runs of matmul_task it stayed within about 10% of `paired_bootstrap`'s half-width from 40 rounds on
    (13% at 20), at a thousandth of the cost, so the stopping rule can look at every pair of rounds and
    bootstrap only when the target is near. Infinite below three rounds.
    """
    logs = np.log(np.asarray(reference, dtype=np.float64) / np.asarray(candidate, dtype=np.float64))
    n = logs.size
    if n < 3:
        return math.inf
    cut = int(TRIM * n)
    ordered = np.sort(logs)
    winsorized = np.clip(logs, ordered[cut], ordered[n - cut - 1])
    return float(1.96 * winsorized.std(ddof=1) / ((1 - 2 * TRIM) * math.sqrt(n)))


def paired_speedup(reference: np.ndarray, candidate: np.ndarray) -> float:
    """exp of the trimmed mean of the per-round log-ratios log(reference / candidate)."""
    return float(np.exp(trimmed_mean(np.log(np.asarray(reference) / np.asarray(candidate)))))


def paired_bootstrap(
    reference: list[float] | np.ndarray,
    candidate: list[float] | np.ndarray,
    *,
    resamples: int = 2000,
    rng: np.random.Generator | None = None,
) -> Speedup:
    """The paired speedup with a percentile bootstrap 95% interval, resampling rounds.

    Raises:
        ValueError: fewer than two rounds, unequal lengths, or non-positive times.
    """
    ref = np.asarray(reference, dtype=np.float64)
    cand = np.asarray(candidate, dtype=np.float64)
    if ref.shape != cand.shape or ref.ndim != 1 or ref.size < 2:
        raise ValueError("need at least two paired rounds")
    if (ref <= 0).any() or (cand <= 0).any():
        raise ValueError("times must be positive")
    gen = rng if rng is not None else np.random.default_rng()
    logs = np.log(ref / cand)
    idx = gen.integers(0, ref.size, size=(resamples, ref.size))
    low, high = np.exp(np.percentile(trimmed_mean(logs[idx]), [2.5, 97.5]))
    value = paired_speedup(ref, cand)
    return Speedup(value=value, low=float(min(low, value)), high=float(max(high, value)), rounds=int(ref.size))


def robust_sd(values: np.ndarray) -> float:
    """1.4826 x the median absolute deviation: a standard deviation that ignores outliers."""
    if values.size == 0:
        return 0.0
    return float(1.4826 * np.median(np.abs(values - np.median(values))))
