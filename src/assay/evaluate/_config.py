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
    (per-round log-ratio sd about 0.02 for 5-50 ms ops) `min_rounds` already gives +/-1%. On a noisy day (sd
    0.07-0.13, a neighbour on the sibling hyperthread) about 100 rounds give +/-1.2-1.5%, and more rounds
    stop paying: separate evaluations of the same code differ by about 0.6% (sd) whatever their length (A/A
    on matmul_task, 22 evaluations of 200 rounds each, recomputed on their first n rounds: sd 0.85% at 80,
    0.66% at 100, 0.61% at 150, 0.63% at 200), so an interval much narrower than that would overstate what
    is known. The target is 1%, not the 2% noise floor, so that the same spread never takes an A/A run to
    "faster".
    """

    timeout_s: float = 300.0
    sizes: Mapping[str, int] = field(default_factory=dict)
    min_rounds: int = 20
    max_rounds: int = 100
    target_halfwidth: float = 0.01
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
