"""The timing protocol as a state machine: rounds in, the next round (or the end) out.

Phases, in order (docs/measurement.md 4.2):
  extra      one single call per extra size of the task: a candidate specialised to the default shape fails
  calibrate  two single calls per side: the reference's call time
  warmup     blocks until each side has run `warmup_s` (lazy init, caches, allocator growth): checked, never timed
  measure    blocks of at least `min_block_s` of the reference's calls, until the interval's half-width is
             under the target, `max_rounds` or `timing_budget_s` is reached, or the evaluation runs late

Every round's order (which side goes first) is drawn at random, independently, from warm-up on: nothing the
candidate saw earlier tells it whether the reference runs right after it (the estimator stratifies by order,
so no balancing is needed). Extra-size and calibration rounds run the reference first: the output's size is
learned from it.

The machine is driven by `Session`, which runs each step and reports what it measured; it has no clock of
its own beyond `late`, so tests drive it with synthetic rounds and a fake clock.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from assay.timing._stats import Sample, Speedup, approx_halfwidth, speedup_interval

Phase = Literal["extra", "calibrate", "warmup", "measure"]


@dataclass(frozen=True)
class Plan:
    """The options of the protocol (`EvalConfig` explains the defaults)."""

    min_rounds: int = 50
    max_rounds: int = 200
    target_halfwidth: float = 0.0125
    timing_budget_s: float = 2.0
    warmup_s: float = 0.1
    min_block_s: float = 5e-3
    max_block_calls: int = 64
    block_bytes: int = 64 << 20
    bootstrap_resamples: int = 2000
    extra_sizes: Sequence[Mapping[str, int]] = ()


@dataclass(frozen=True)
class Step:
    """One round to run: `calls` calls per side, on the task's default sizes unless `sizes` says otherwise."""

    phase: Phase
    calls: int
    reference_first: bool
    sizes: Mapping[str, int] | None = None


@dataclass(frozen=True)
class Observed:
    """What one round measured: each side's block time over `calls` calls, and the bytes one call moves."""

    reference_s: float
    candidate_s: float
    calls: int = 1
    call_bytes: int = 0  # inputs and output of one call

    @property
    def reference_call_s(self) -> float:
        return self.reference_s / self.calls


_MAX_WARMUP_ROUNDS = 12


@dataclass
class Schedule:
    plan: Plan
    rng: np.random.Generator
    late: Callable[[float], bool] = lambda fraction: False  # is less than this fraction of the time budget left?
    samples: list[Sample] = field(default_factory=list)  # the measured rounds
    warmup: list[Observed] = field(default_factory=list)  # calibration and warm-up rounds
    calls_per_sample: int = 0  # fixed once warm-up ends
    speedup: Speedup | None = None  # of the measured rounds, once the stopping rule has computed it
    _extra_done: int = 0
    _call_bytes: int = 0
    _done: bool = False

    # ------------------------------------------------------------ decisions
    def next(self) -> Step | None:
        """The next round to run, or None when the measurement is over."""
        if self._done:
            return None
        if self._extra_done < len(self.plan.extra_sizes):
            return Step("extra", 1, True, self.plan.extra_sizes[self._extra_done])
        if len(self.warmup) < 2:
            return Step("calibrate", 1, True)
        if self.calls_per_sample == 0:
            if self._warming():
                return Step("warmup", self._calls_for(self.plan.warmup_s / 4, self._calibrated()), self._order())
            last = self.warmup[-1]
            # The block size comes from warm calls: the first ones can be many times slower (docs/measurement.md 4.2).
            self.calls_per_sample = self._calls_for(self.plan.min_block_s, last.reference_call_s)
        return Step("measure", self.calls_per_sample, self._order())

    def record(self, step: Step, observed: Observed) -> None:
        """What the round that `next()` asked for measured."""
        if step.sizes is None:
            self._call_bytes = max(self._call_bytes, observed.call_bytes)
        if step.phase == "extra":
            self._extra_done += 1
        elif step.phase in ("calibrate", "warmup"):
            self.warmup.append(observed)
            if step.phase == "warmup" and self.late(0.5):
                self.calls_per_sample = self._calls_for(self.plan.min_block_s, observed.reference_call_s)
        else:
            self.samples.append(Sample(observed.reference_s, observed.candidate_s, step.reference_first))
            self._done = self._stop()

    def final(self) -> Speedup:
        """The speedup of every measured round (the stopping rule's, when it computed one for all of them).

        Raises:
            ValueError: fewer than two rounds were measured.
        """
        if self.speedup is None or self.speedup.rounds != len(self.samples):
            self.speedup = self._interval()
        return self.speedup

    # ------------------------------------------------------------ machinery
    def _stop(self) -> bool:
        n = len(self.samples)
        spent = min(sum(s.reference_s for s in self.samples), sum(s.candidate_s for s in self.samples))
        enough = n >= self.plan.max_rounds or spent >= self.plan.timing_budget_s
        if n >= self.plan.min_rounds and (enough or self._near_target()):
            self.speedup = self._interval()
            if self.speedup.halfwidth <= self.plan.target_halfwidth:
                return True
        return enough or (n >= 5 and self.late(0.25))

    def _near_target(self) -> bool:
        """Whether the bootstrap is worth running: the cheap estimate is within 10% of the target."""
        return approx_halfwidth(self.samples) <= 1.1 * self.plan.target_halfwidth

    def _interval(self) -> Speedup:
        return speedup_interval(self.samples, resamples=self.plan.bootstrap_resamples, rng=self.rng)

    def _warming(self) -> bool:
        spent = min(sum(o.reference_s for o in self.warmup), sum(o.candidate_s for o in self.warmup))
        return spent < self.plan.warmup_s and len(self.warmup) < _MAX_WARMUP_ROUNDS

    def _calibrated(self) -> float:
        return float(np.median([o.reference_call_s for o in self.warmup[:2]]))

    def _order(self) -> bool:
        return bool(self.rng.random() < 0.5)

    def _cap(self) -> int:
        """Most calls per block: each call's inputs and both sides' outputs are held at once."""
        per_call = 3 * max(self._call_bytes, 1)
        return max(1, min(self.plan.max_block_calls, self.plan.block_bytes // per_call))

    def _calls_for(self, seconds: float, call_s: float) -> int:
        return max(1, min(self._cap(), math.ceil(seconds / max(call_s, 1e-9))))
