"""How an evaluation runs. Defaults are sized for a 2-core laptop with no GPU."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from assay.sandbox import Limits


@dataclass(frozen=True)
class EvalConfig:
    """Options of one evaluation.

    The timing defaults follow measurement.md: interleaved rounds in random, pairwise balanced order, one
    thread, samples of at least 1 ms, the speedup from the rounds' paired log-ratios with a bootstrap interval
    (`assay.timing`). The stopping rule adds rounds (up to `max_rounds` or `timing_budget_s`) until the
    interval's half-width is under `target_halfwidth`. At the noise measured on a quiet machine of this kind
    (per-round log-ratio sd about 0.02 for 5-50 ms ops) `min_rounds` already gives +/-1%. On noisy days (sd
    0.07-0.15, a neighbour on the sibling hyperthread) it takes 100-200 rounds. The target is 1.25% because
    separate evaluations of the same code differ by about 0.6% (sd) however long they run (A/A on
    matmul_task, 20 evaluations of 200 rounds each recomputed on their first n rounds: sd 0.64% at 100, 0.65%
    at 150, 0.64% at 200, while the intervals went on narrowing from +/-1.27% to +/-0.88%): an interval
    narrower than 1.96 x 0.64% claims more than is known, and a wider one still has rounds to gain. The cap
    of 200 is for the noisiest hours, when 100 rounds leave +/-1.5-2.3% and an A/A point can stray past 2%.
    """

    timeout_s: float = 300.0
    sizes: Mapping[str, int] = field(default_factory=dict)
    min_rounds: int = 20
    max_rounds: int = 200
    target_halfwidth: float = 0.0125
    timing_budget_s: float = 2.0  # seconds of timed work per side, at most
    warmup_s: float = 0.1  # per side; first calls (lazy init, caches) are checked but not timed
    min_block_s: float = 1e-3  # a sample is a block of calls lasting at least this long
    max_block_calls: int = 64
    block_bytes: int = 64 << 20  # data of one block in the memfds; well under the sandbox's 256 MiB file limit
    construct_timeout_s: float = 180.0  # import + constructor, compilers included
    call_timeout_s: float = 10.0  # a single call may take max(this, 50 x the reference's call)
    plausible_speedup: float = 10.0  # KernelBench's excessive-speedup threshold
    noise_floor: float = 0.02  # "faster" needs the interval above 1 and the speedup at least 1 + this
    device: str = "cpu"  # "cuda" or "cuda:N": CUDA events, device-wide sync, L2 flush (see worker/_clocks.py)
    cpu: int | None = None  # CPU both workers are pinned to; None: the last CPU
    isolation: str | None = None  # minimum isolation level ("L3", "L2", "L1"); None: best available
    limits: Limits = field(default_factory=Limits)
    bootstrap_resamples: int = 2000
