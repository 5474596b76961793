"""Statistics of interleaved timing rounds: the speedup in mean time per call, and its bootstrap interval.

Each round holds one reference and one candidate sample (a block of calls each) taken back to back on fresh
inputs. The speedup is the ratio of the two sides' mean times per call over every timed round: it answers "how
much less time does a call take on average", and it charges the candidate for every call it made. A robust
estimator (a trimmed mean or a median of per-round ratios) would resist machine noise better, but it discards
rounds, and a candidate can move slow work into exactly the rounds it discards: with a 20%-trimmed mean of
log-ratios, a candidate twice as fast in 85% of its rounds and 25 times slower in the other 15% read 2x faster
while its mean cost per call was 2.5 times the reference's (redteam/attacks/estimator_*.py).

The means are paired where it matters: whatever slows the machine for a whole round slows both sides, so it
cancels in the ratio of sums exactly as in a ratio of pairs. The samples are CPU time of the workers, which
time spent waiting for a CPU does not inflate, so a round that caught a busy neighbour is not an outlier the
way it would be in wall time.

The rounds' order is random (which side goes first), and the first side of a round runs 1-2% slower than the
second (measured on matmul_task). The means are stratified by order: each side's mean is the average of its
mean in reference-first rounds and its mean in candidate-first rounds, so an unequal count of the two orders
moves nothing, and the order need not be balanced in pairs (which would make it predictable from inside).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Sample:
    """One timed round: each side's block time (seconds, the same number of calls) and which side went first."""

    reference_s: float
    candidate_s: float
    reference_first: bool
    reference_twin: int = 0  # which of the reference's two processes ran the round


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


def _arrays(samples: Sequence[Sample]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    ref = np.array([s.reference_s for s in samples], dtype=np.float64)
    cand = np.array([s.candidate_s for s in samples], dtype=np.float64)
    first = np.array([s.reference_first for s in samples], dtype=bool)
    if ref.size < 2:
        raise ValueError("need at least two rounds")
    if not (np.isfinite(ref).all() and np.isfinite(cand).all()) or (ref <= 0).any() or (cand <= 0).any():
        raise ValueError("times must be positive and finite")
    return ref, cand, first


def _strata(first: np.ndarray) -> list[np.ndarray]:
    """Row indices of the reference-first and the candidate-first rounds; one stratum if either is empty."""
    strata = [np.flatnonzero(first), np.flatnonzero(~first)]
    return [s for s in strata if s.size] if all(s.size for s in strata) else [np.arange(first.size)]


def _means(ref: np.ndarray, cand: np.ndarray, strata: list[np.ndarray]) -> tuple[float, float]:
    return (
        float(np.mean([ref[s].mean() for s in strata])),
        float(np.mean([cand[s].mean() for s in strata])),
    )


def mean_times(samples: Sequence[Sample]) -> tuple[float, float]:
    """Each side's mean block time over every round, stratified by order (seconds per block).

    Raises:
        ValueError: fewer than two rounds, or times that are not positive and finite.
    """
    ref, cand, first = _arrays(samples)
    return _means(ref, cand, _strata(first))


def mean_speedup(samples: Sequence[Sample]) -> float:
    """The reference's mean time per call over the candidate's (see the module docstring)."""
    ref, cand = mean_times(samples)
    return ref / cand


def approx_halfwidth(samples: Sequence[Sample]) -> float:
    """A cheap stand-in for the bootstrap's relative half-width: 1.96 delta-method standard errors of the log
    of the mean ratio. Lets the stopping rule look at every pair of rounds and bootstrap only near the target.
    Infinite below three rounds in a stratum."""
    ref, cand, first = _arrays(samples)
    strata = _strata(first)
    if any(s.size < 3 for s in strata):
        return math.inf
    mean_ref, mean_cand = _means(ref, cand, strata)
    influence = ref / mean_ref - cand / mean_cand  # each round's pull on log(mean_ref / mean_cand), scaled
    weight = 1 / len(strata)
    variance = sum(weight**2 * float(influence[s].var(ddof=1)) / s.size for s in strata)
    return 1.96 * math.sqrt(variance)


def speedup_interval(
    samples: Sequence[Sample], *, resamples: int = 2000, rng: np.random.Generator | None = None
) -> Speedup:
    """The mean speedup with a percentile bootstrap 95% interval, resampling rounds within each order.

    Raises:
        ValueError: fewer than two rounds, or times that are not positive and finite.
    """
    ref, cand, first = _arrays(samples)
    strata = _strata(first)
    gen = rng if rng is not None else np.random.default_rng()
    mean_ref = np.zeros(resamples)
    mean_cand = np.zeros(resamples)
    for stratum in strata:
        idx = stratum[gen.integers(0, stratum.size, size=(resamples, stratum.size))]
        mean_ref += ref[idx].mean(axis=1) / len(strata)
        mean_cand += cand[idx].mean(axis=1) / len(strata)
    low, high = np.percentile(mean_ref / mean_cand, [2.5, 97.5])
    value = mean_speedup(samples)
    return Speedup(value=value, low=float(min(low, value)), high=float(max(high, value)), rounds=int(ref.size))


@dataclass(frozen=True)
class TwinCheck:
    """The reference's two processes against each other: the speedup over the rounds of each.

    Identical code in two processes differs by each process's own speed (where its memory landed), which
    persists through a run; the twins' ratio carries two such offsets plus the sampling noise of their rounds.
    """

    ratio: float  # the speedup over twin 0's rounds / the speedup over twin 1's rounds
    sampling_sd: float  # the sd of log(ratio) that the rounds' own scatter explains (delta method)

    @property
    def between_sd(self) -> float:
        """The log-speedup sd between evaluations that the twins' disagreement implies beyond sampling.

        With a per-process offset of sd s, the twins differ by two offsets (variance 2 s^2 beyond sampling),
        and the speedup carries the candidate's offset and the mean of the twins' (s^2 + s^2 / 2): so
        0.75 x the excess of log(ratio)^2 over the sampling variance. One pair of twins is one degree of
        freedom: a lower bound on what the machine does is kept beside it (`EvalConfig.between_runs_sd`).
        """
        excess = math.log(self.ratio) ** 2 - self.sampling_sd**2
        return math.sqrt(0.75 * excess) if excess > 0 else 0.0


def twin_check(samples: Sequence[Sample]) -> TwinCheck | None:
    """The twins' ratio, or None when either twin has fewer than three rounds of each order (one twin, say)."""
    groups = [[s for s in samples if s.reference_twin == twin] for twin in (0, 1)]
    if any(len(group) < 6 for group in groups):
        return None
    halfwidths = [approx_halfwidth(group) for group in groups]
    if not all(math.isfinite(h) for h in halfwidths):
        return None
    ratio = mean_speedup(groups[0]) / mean_speedup(groups[1])
    return TwinCheck(ratio=ratio, sampling_sd=math.sqrt(sum((h / 1.96) ** 2 for h in halfwidths)))


def robust_sd(values: np.ndarray) -> float:
    """1.4826 x the median absolute deviation: a standard deviation that ignores outliers."""
    if values.size == 0:
        return 0.0
    return float(1.4826 * np.median(np.abs(values - np.median(values))))
