"""Integrity findings from a finished evaluation's numbers: the timing cross-checks and plausibility.

Trusted side. The samples are the orchestrator's own; these compare them with what the workers reported and
with what the machine can do, so that a candidate that tampered with its clock, waited off the CPU, left work on
another stream or claims the impossible is flagged with the evidence.
"""

from __future__ import annotations

import numpy as np

from assay.evaluate._result import Flag, Roofline
from assay.evaluate._round import Block, Round

# A candidate this far past the machine's floor for the task's declared work did not do that work: the margin
# covers a peak measured on a busy machine and a task's [work] table rounding up.
ROOFLINE_SLACK = 1.25


# The reference is flagged as harmed when its time in the rounds right after the candidate exceeds its time in
# the rounds where it went first by this much (point) and by half of it (the bootstrap's 95% lower bound), both
# as interquartile means. Honest candidates show an order effect of their own: in A/A runs of matmul_task the
# reference ran 1-5% slower right after the candidate, and on a 0.2 ms task under a load average of 6 on two
# cores an honest candidate's reference read 12% slower (lower bound 8%). 20% keeps clear of that; in
# simulation it catches every run of a 30% harm. This is the backstop: the means of harm known here (a wake-up
# from the freeze, timers) are denied and checked directly.
HARM_EXCESS = 0.20
# A timing CPU taking more interrupts than this per second of a reference block, and several times the rate of
# the candidate's blocks, is being interrupted by something the candidate arranged (a timer tick is 250-1000/s).
HARM_INTERRUPT_RATE = 5000.0


def timing_flags(rounds: list[Round], k: int) -> list[Flag]:
    """The cross-checks of the official samples: the candidate's clock, its time off the CPU, side streams."""
    gaps = [r.cand.host_s - r.cand.inner_s for r in rounds]
    found = (_clock_flag(rounds, k), _off_cpu_flag(rounds, k), _side_stream_flag(rounds, gaps))
    return [flag for flag in found if flag is not None]


def harm_flags(rounds: list[Round]) -> list[Flag]:
    """Work done to the reference from outside its process: `reference-harmed`, from the numbers alone.

    Two checks that do not depend on knowing the means: (1) the reference is slower in the rounds that follow
    the candidate than in those it starts (the order of each round is random and cannot be told from inside);
    (2) the timing CPU takes many more interrupts during the reference's blocks than during the candidate's (a
    timer that fires only while the candidate is frozen bills its interrupts to whoever runs).
    """
    found = (_slower_after_candidate(rounds), _interrupted(rounds))
    return [flag for flag in found if flag is not None]


def _slower_after_candidate(rounds: list[Round]) -> Flag | None:
    """Interquartile means, not means: this is a detector, not the estimate (which charges every round), and a
    handful of rounds that met a busy machine must not make an honest candidate look harmful."""
    after = np.array([r.ref_s for r in rounds if not r.ref_first])
    first = np.array([r.ref_s for r in rounds if r.ref_first])
    if after.size < 10 or first.size < 10:
        return None
    excess = float(_midmean(after) / _midmean(first) - 1)
    if excess <= HARM_EXCESS:
        return None
    rng = np.random.default_rng(0)
    resampled = (
        _midmean(after[rng.integers(0, after.size, (1000, after.size))])
        / _midmean(first[rng.integers(0, first.size, (1000, first.size))])
        - 1
    )
    low = float(np.percentile(resampled, 2.5))
    if low <= HARM_EXCESS / 2:
        return None
    return Flag(
        id="reference-harmed",
        evidence=(
            f"the reference took {excess:.1%} longer (interquartile mean) in the {after.size} rounds it ran right "
            f"after the candidate than in the {first.size} it ran first (95% lower bound {low:.1%}): something the "
            "candidate left behind slowed it"
        ),
    )


def _midmean(values: np.ndarray) -> np.ndarray:
    """The mean of the middle half along the last axis."""
    n = values.shape[-1]
    ordered = np.sort(values, axis=-1)
    return np.asarray(ordered[..., n // 4 : n - n // 4].mean(axis=-1))


def _interrupted(rounds: list[Round]) -> Flag | None:
    if any(r.ref.interrupts < 0 or r.cand.interrupts < 0 for r in rounds):
        return None
    ref_rate = sum(r.ref.interrupts for r in rounds) / max(sum(r.ref.wall_s for r in rounds), 1e-9)
    cand_rate = sum(r.cand.interrupts for r in rounds) / max(sum(r.cand.wall_s for r in rounds), 1e-9)
    if ref_rate <= HARM_INTERRUPT_RATE or ref_rate <= 3 * cand_rate:
        return None
    return Flag(
        id="reference-harmed",
        evidence=(
            f"the timing CPU took {ref_rate:.0f} interrupts per second during the reference's blocks and "
            f"{cand_rate:.0f} during the candidate's: an interrupt source armed for the time it is frozen"
        ),
    )


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
    clock was patched. Both workers do the same small, fixed work outside the timed call (the serve loop: no
    output copy, since the orchestrator reads outputs from their memory), so per round the candidate's
    unexplained time should match the reference's (a trusted worker). On the CPU
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
