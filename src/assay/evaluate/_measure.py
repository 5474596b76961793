"""The measuring phase of an evaluation: the timing schedule drives the rounds; the result is built from them.

Trusted side. `Schedule` (assay.timing) decides which round comes next and when to stop; `Rounds` runs each one
and checks it; the speedup is the ratio of mean times per call over every timed round (it charges the candidate
for every call), widened by the spread between evaluations: the larger of what this kind of machine showed
(`EvalConfig.between_runs_sd`) and what the reference twins' disagreement shows in this evaluation.
"""

from __future__ import annotations

from assay.evaluate._config import EvalConfig
from assay.evaluate._flags import harm_flags, plausibility_flags, timing_flags
from assay.evaluate._result import EvalResult, Roofline, Timing, Verdict
from assay.evaluate._round import Round
from assay.evaluate._rounds import Rounds
from assay.evaluate._session import Session
from assay.machine import Contention, contention_warning, load_cached, roofline_floor_s
from assay.timing import Observed, Plan, Sample, Schedule, Speedup, TwinCheck, mean_times, twin_check


def plan_of(config: EvalConfig, extra_sizes: list[dict[str, int]]) -> Plan:
    return Plan(
        min_rounds=config.min_rounds,
        max_rounds=config.max_rounds,
        target_halfwidth=config.target_halfwidth,
        timing_budget_s=config.timing_budget_s,
        warmup_s=config.warmup_s,
        min_block_s=config.min_block_s,
        max_block_calls=config.max_block_calls,
        block_bytes=config.block_bytes,
        bootstrap_resamples=config.bootstrap_resamples,
        extra_sizes=extra_sizes,
    )


def measure(session: Session) -> EvalResult:
    """Run the schedule to its end and judge the rounds.

    Raises:
        Outcome: a check failed (the verdict and its evidence).
    """
    config = session.config
    schedule = Schedule(plan_of(config, [dict(s) for s in session.task.spec.extra_sizes]), session.rng, session.late)
    rounds = Rounds(session)
    measured: list[Round] = []
    warm = 0
    contention: Contention | None = None
    while (step := schedule.next()) is not None:
        if step.phase == "measure" and contention is None:
            contention = Contention(session.own_pids())
        done = rounds.run(step)
        schedule.record(step, Observed(done.ref_s, done.cand_s, done.calls, done.call_bytes))
        if step.phase == "measure":
            measured.append(done)
        elif step.phase == "warmup":
            warm += 1
    rounds.verify_frozen("after its last block")
    result = _result(session, config, measured, schedule.final(), warm + 2)
    warnings = [
        contention_warning(contention.foreign_cpus()) if contention is not None else None,
        _twins_warning(result.timing, config.between_runs_sd),
    ]
    result.warnings.extend(w for w in warnings if w is not None)
    return result


def _between_sd(config: EvalConfig, twins: TwinCheck | None) -> float:
    """The spread between evaluations to add to this run's interval: the machine's usual, or more when the
    twins disagree by more than it and their rounds explain."""
    return max(config.between_runs_sd, twins.between_sd if twins is not None else 0.0)


def _twins_warning(timing: Timing | None, usual_sd: float) -> str | None:
    if timing is None or timing.twin_ratio is None or timing.between_sd <= usual_sd:
        return None
    return (
        f"the reference's two processes ran {abs(timing.twin_ratio - 1):.1%} apart, more than their rounds "
        f"explain: this machine's spread between processes reads {timing.between_sd:.1%} (usually "
        f"{usual_sd:.1%}), and the interval is widened to cover it"
    )


def _roofline(session: Session, ref_ms: float, cand_ms: float) -> Roofline | None:
    work = session.task.spec.work
    if work is None or (work.flops <= 0 and work.bytes <= 0):
        return None
    profile = load_cached()
    if profile is None:
        return None
    floor_s = roofline_floor_s(profile, work.flops, work.bytes, session.task.spec.dtype, 1)
    if floor_s <= 0:
        return None
    return Roofline(
        floor_ms=floor_s * 1e3,
        reference_fraction=floor_s * 1e3 / ref_ms,
        candidate_fraction=floor_s * 1e3 / cand_ms,
    )


def _result(session: Session, config: EvalConfig, rounds: list[Round], speedup: Speedup, warm: int) -> EvalResult:
    k = rounds[0].calls
    samples = [(r.ref_s, r.cand_s) for r in rounds]
    paired = [Sample(r.ref_s, r.cand_s, r.ref_first, r.twin) for r in rounds]
    twins = twin_check(paired)
    between_sd = _between_sd(config, twins)
    speedup = speedup.widened(between_sd)  # the stopping rule saw this run's spread alone
    ref_block, cand_block = mean_times(paired)
    ref_ms, cand_ms = ref_block / k * 1e3, cand_block / k * 1e3  # mean cost per call: what the speedup compares
    roofline = _roofline(session, ref_ms, cand_ms)
    flags = [
        *timing_flags(rounds, k),
        *harm_flags(rounds),
        *plausibility_flags(speedup.value, config.plausible_speedup, cand_ms, roofline),
    ]
    timing = Timing(
        calls_per_sample=k,
        reference_ms=[r * 1e3 for r, _ in samples],
        candidate_ms=[c * 1e3 for _, c in samples],
        reference_inner_ms=[r.ref.inner_s * 1e3 for r in rounds],
        candidate_inner_ms=[r.cand.inner_s * 1e3 for r in rounds],
        reference_wall_ms=[r.ref.wall_s * 1e3 for r in rounds],
        candidate_wall_ms=[r.cand.wall_s * 1e3 for r in rounds],
        reference_interrupts=[r.ref.interrupts for r in rounds],
        candidate_interrupts=[r.cand.interrupts for r in rounds],
        clock="cpu" if rounds[0].cpu_clock else "wall",
        reference_first=[r.ref_first for r in rounds],
        reference_twin=[r.twin for r in rounds],
        twin_ratio=round(twins.ratio, 5) if twins is not None else None,
        between_sd=round(between_sd, 5),
        warmup_rounds=warm,
    )
    verdict = Verdict.FLAGGED if flags else Verdict.VERIFIED
    message = "" if not flags else f"integrity check failed: {flags[0].id}: {flags[0].evidence}"
    return EvalResult(
        verdict=verdict,
        speedup=round(speedup.value, 5),
        speedup_ci=[round(speedup.low, 5), round(speedup.high, 5)],
        reference_ms=round(ref_ms, 5),
        candidate_ms=round(cand_ms, 5),
        flags=flags,
        isolation=session.isolation,
        message=message,
        comparison=speedup.comparison(config.noise_floor),
        calls_checked=session.calls_checked,
        roofline=roofline,
        timing=timing,
    )
