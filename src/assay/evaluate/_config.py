"""How an evaluation runs. Defaults are sized for a 2-core laptop with no GPU."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from assay.sandbox import Limits


@dataclass(frozen=True)
class EvalConfig:
    """Options of one evaluation.

    The timing defaults follow docs/measurement.md and docs/evaluator.md: interleaved rounds in an order drawn
    at random each round, one thread, samples of at least 5 ms, the speedup as the ratio of the two sides' mean
    times per call (stratified by order) with a bootstrap interval (`assay.timing`). The stopping rule adds
    rounds until the interval's half-width is under `target_halfwidth` (or `max_rounds` or `timing_budget_s` is
    reached). The per-round log-ratio sd on this kind of machine is 0.03-0.06 in calm hours and up to 0.10-0.15
    in noisy ones: 50-200 rounds.

    The target is 1.25% because separate evaluations of the same code differ by about 0.6% (sd) however long they
    run (A/A on matmul_task, 20 evaluations of 200 rounds each recomputed on their first n rounds: sd 0.64% at 100,
    0.65% at 150, 0.64% at 200, while the intervals went on narrowing from +/-1.27% to +/-0.88%): an interval
    narrower than 1.96 x 0.64% claims more than is known, and a wider one still has rounds to gain. The cap of 200
    is for the noisiest hours, when 100 rounds leave +/-1.5-2.3% and an A/A point can stray past 2%. Of those 0.64%,
    0.46% is not sampling noise within a run (the 200-round intervals imply a within-run sd of 0.45%; the two halves
    of one run correlated at 0.54 over 40 A/A runs): the reported interval adds it in quadrature
    (`between_runs_sd`), so that it covers what another evaluation would find and not only this run's rounds. On a
    later machine of the same kind (an Intel Xeon with a 4 MB L2 instead of the AMD EPYC) the spread between
    evaluations was larger: 30 A/A evaluations of matmul_task in three batches gave sds of 1.2-1.7% around 1.003,
    with intervals of +/-1.35% that implied a within-run sd of 0.5%, so about 1.3% is per-evaluation offset there;
    `between_runs_sd` is 0.013, the larger of the two, so that an A/A evaluation is called faster only past about
    2.7% on either machine. `min_rounds` is 50 because the half-width of a few rounds is itself too noisy to stop
    on: with 20, an A/A run stopped after 26 rounds at 1.0193 [1.0070, 1.0312], an interval that excluded the truth.
    """

    timeout_s: float = 300.0
    sizes: Mapping[str, int] = field(default_factory=dict)
    min_rounds: int = 50
    max_rounds: int = 200
    target_halfwidth: float = 0.0125
    timing_budget_s: float = 2.0  # seconds of timed work per side, at most
    warmup_s: float = 0.1  # per side; first calls (lazy init, caches) are checked but not timed
    # A sample is a block of calls lasting at least this long. 5 ms, not the 1 ms of docs/measurement.md: the side
    # that runs right after the other worker's block pays a fixed ~0.1 ms, which in 1 ms blocks read as a 7-12%
    # slower reference after the candidate (A/A of a 0.25 ms task) and read identical code above 1.03x in 17 of
    # 20 evaluations; in 5 ms blocks that order effect is 0-4% (docs/evaluator.md, "Block length").
    min_block_s: float = 5e-3
    max_block_calls: int = 64
    block_bytes: int = 64 << 20  # data of one block in the memfds; well under the sandbox's 256 MiB file limit
    construct_timeout_s: float = 180.0  # import + constructor, compilers included
    call_timeout_s: float = 10.0  # a single call may take max(this, 50 x the reference's call)
    plausible_speedup: float = 10.0  # KernelBench's excessive-speedup threshold
    between_runs_sd: float = 0.013  # log-speedup sd between evaluations that rounds cannot shrink (see above)
    # Run the reference in two processes that take the measured rounds in turn, and widen the interval by what
    # their disagreement says of the spread between processes when it exceeds `between_runs_sd` (docs/evaluator.md,
    # "Each process's own speed"). Off: one reference process, `between_runs_sd` alone (one model's memory fewer).
    reference_twins: bool = True
    noise_floor: float = 0.02  # "faster" needs the interval above 1 and the speedup at least 1 + this
    device: str = "cpu"  # "cuda" or "cuda:N": CUDA events, device-wide sync, L2 flush (see worker/_clocks.py)
    cpu: int | None = None  # CPU the timed workers are pinned to; None: the last CPU
    isolation: str | None = None  # minimum isolation level ("L3", "L2", "L1"); None: best available
    limits: Limits = field(default_factory=Limits)
    bootstrap_resamples: int = 2000
    # Lend the trusted, read-only precompiled headers to a candidate whose source names torch.compile or load_inline
    # (on the CPU): built once per machine, outside any sandbox (evaluate/_compile_cache.py).
    compile_cache: bool = True
