"""Statistics of paired, interleaved timing samples (measurement.md sections 1.1 and 1.3).

The estimate is the ratio of medians (reference / candidate). Its 95% interval is a paired bootstrap over
rounds: each round holds one reference and one candidate sample taken back to back, so resampling rounds keeps
the pairing and the drift they share cancels.
"""

from __future__ import annotations

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

    def comparison(self, noise_floor: float) -> str:
        """'faster' only when the interval excludes 1 and the speedup clears the noise floor (both ways)."""
        if self.low > 1.0 and self.value >= 1.0 + noise_floor:
            return "faster"
        if self.high < 1.0 and self.value <= 1.0 / (1.0 + noise_floor):
            return "slower"
        return "no measurable difference"


def ratio_of_medians(reference: np.ndarray, candidate: np.ndarray) -> float:
    return float(np.median(reference) / np.median(candidate))


def paired_bootstrap(
    reference: list[float] | np.ndarray,
    candidate: list[float] | np.ndarray,
    *,
    resamples: int = 2000,
    rng: np.random.Generator | None = None,
) -> Speedup:
    """Ratio of medians with a percentile bootstrap 95% interval, resampling paired rounds.

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
    idx = gen.integers(0, ref.size, size=(resamples, ref.size))
    ratios = np.median(ref[idx], axis=1) / np.median(cand[idx], axis=1)
    low, high = np.percentile(ratios, [2.5, 97.5])
    value = ratio_of_medians(ref, cand)
    return Speedup(value=value, low=float(min(low, value)), high=float(max(high, value)), rounds=int(ref.size))


def robust_sd(values: np.ndarray) -> float:
    """1.4826 x the median absolute deviation: a standard deviation that ignores outliers."""
    if values.size == 0:
        return 0.0
    return float(1.4826 * np.median(np.abs(values - np.median(values))))
