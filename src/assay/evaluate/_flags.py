"""Integrity findings from a finished evaluation's numbers: the timing cross-checks and plausibility.

Trusted side. The samples are the orchestrator's own; these compare them with what the workers reported and
with what the machine can do, so that a candidate that tampered with its clock, waited off the CPU, left work on
another stream or claims the impossible is flagged with the evidence.
"""

from __future__ import annotations

import numpy as np

from assay.evaluate._result import Flag, Roofline
from assay.evaluate._session import Block, Round

# A candidate this far past the machine's floor for the task's declared work did not do that work: the margin
# covers a peak measured on a busy machine and a task's [work] table rounding up.
ROOFLINE_SLACK = 1.25


def timing_flags(rounds: list[Round], k: int, host_gaps: list[float]) -> list[Flag]:
    """The cross-checks of the official samples: the candidate's clock, its time off the CPU, side streams."""
    found = (_clock_flag(rounds, k), _off_cpu_flag(rounds, k), _side_stream_flag(rounds, host_gaps))
    return [flag for flag in found if flag is not None]


def plausibility_flags(speedup: float, threshold: float, cand_ms: float, roofline: Roofline | None) -> list[Flag]:
    """A speedup beyond the threshold, or a time below the machine's roofline: for a closer look."""
    flags = []
    if speedup > threshold:
        flags.append(
            Flag(
                id="implausible-speedup",
                evidence=f"{speedup:.1f}x exceeds the plausibility threshold of {threshold:g}x",
            )
        )
    if (
        roofline is not None
        and roofline.candidate_fraction is not None
        and roofline.candidate_fraction > ROOFLINE_SLACK
    ):
        flags.append(
            Flag(
                id="below-roofline",
                evidence=(
                    f"{cand_ms:.4f} ms per call is below the machine's floor of {roofline.floor_ms:.4f} ms for the "
                    "task's declared work: faster than the machine can go"
                ),
            )
        )
    return flags


def _clock_flag(rounds: list[Round], k: int) -> Flag | None:
    """The candidate's own clock against the orchestrator's: time it spent but did not report.

    The official samples are the orchestrator's, so a patched clock cannot buy a speedup; this flag says the
    clock was patched. Both workers do the same small, fixed work outside the timed call (one output copy),
    so per round the candidate's unexplained time should match the reference's (a trusted worker). On the CPU
    both the samples and the workers' clocks are CPU time, which other processes' load does not inflate; on
    CUDA pairing the two within each round cancels the load both saw. Flagged: a median excess over 5% of the
    sample whose bootstrap lower bound is above 2.5% of it, and over a quarter (lower bound: an eighth) of the
    reference's own unexplained time. That work is not always small: copying a 25 MB output takes 3.5 ms, half
    of l1_layernorm's sample, and in a noisy hour its jitter alone put an honest copy of the reference 0.56 ms
    (5.4%) over it in 20 rounds.
    """
    excess = np.array([(r.cand_s - r.cand.inner_s) - (r.ref_s - r.ref.inner_s) for r in rounds])
    sample = float(np.median([r.cand_s for r in rounds]))
    fixed = max(0.0, float(np.median([r.ref_s - r.ref.inner_s for r in rounds])))
    if not _significant(excess, max(1e-4 * k, 0.05 * sample, 0.25 * fixed), max(0.025 * sample, 0.125 * fixed)):
        return None
    inner = float(np.median([r.cand.inner_s for r in rounds]))
    return Flag(
        id="clock-mismatch",
        evidence=(
            f"the candidate reported {inner * 1e3:.3f} ms per sample but took {sample * 1e3:.3f} ms by the "
            f"orchestrator's clock, {float(np.median(excess)) * 1e3:.3f} ms more unexplained time per sample "
            "than the reference"
        ),
    )


def _off_cpu_flag(rounds: list[Round], k: int) -> Flag | None:
    """On the CPU: time the candidate spent off the CPU (sleeping, waiting) beyond what the reference did.

    The official CPU-time samples leave out waiting, which for the reference is only waiting for a CPU other
    processes hold. A candidate that waits more than that, in proportion to its running time, is waiting for
    something it did not pay for; its CPU time would then overstate its speed. The fractions of wall time
    spent off the CPU are compared within each round; flagged: a median excess over 10% whose bootstrap
    lower bound is above 5%.
    """
    if not rounds or not rounds[0].cpu_clock:
        return None

    def off(block: Block) -> float:
        return max(0.0, block.wall_s - block.cpu_s) / max(block.wall_s, 1e-9)

    excess = np.array([off(r.cand) - off(r.ref) for r in rounds])
    if not _significant(excess, 0.10, 0.05):
        return None
    wall = float(np.median([r.cand.wall_s for r in rounds]))
    cpu = float(np.median([r.cand.cpu_s for r in rounds]))
    return Flag(
        id="off-cpu",
        evidence=(
            f"the candidate ran {cpu * 1e3:.3f} ms of CPU time per sample of {k} calls but took {wall * 1e3:.3f} ms "
            f"of wall time; {float(np.median(excess)):.0%} more of its time was spent off the CPU than the "
            "reference's, so its CPU time understates its cost"
        ),
    )


def _significant(excess: np.ndarray, median_above: float, low_above: float) -> bool:
    """A median of `excess` over `median_above` whose bootstrap 95% lower bound is over `low_above`."""
    if float(np.median(excess)) <= median_above:
        return False
    resamples = np.random.default_rng(0).integers(0, excess.size, size=(1000, excess.size))
    low = float(np.percentile(np.median(excess[resamples], axis=1), 2.5))
    return low > low_above


def _side_stream_flag(rounds: list[Round], gaps: list[float]) -> Flag | None:
    """On CUDA: work that finished after the current stream's end event (another stream, another thread).

    The worker synchronizes the whole device before reading the host clock, so such work is in the host time
    but not in the events. On the CPU both times are the same measurement and the gap is zero.
    """
    if not gaps:
        return None
    gap = float(np.median(gaps))
    sample = float(np.median([r.cand.inner_s for r in rounds]))
    if gap <= max(2e-4 * rounds[0].calls, sample):
        return None
    return Flag(
        id="side-stream",
        evidence=f"the device stayed busy {gap * 1e3:.3f} ms per sample after the timed stream's "
        f"end event ({sample * 1e3:.3f} ms): work ran outside the timed stream",
    )
