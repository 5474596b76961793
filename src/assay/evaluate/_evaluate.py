"""`evaluate()`: the public entry point of the evaluator, and the phases of one evaluation."""

from __future__ import annotations

import ast
import math
import os
import platform
import secrets
import time
from pathlib import Path

import numpy as np

from assay.candidates import scan_source
from assay.errors import UserError
from assay.evaluate._config import EvalConfig
from assay.evaluate._finish import encodable, isolation_warning
from assay.evaluate._flags import plausibility_flags, timing_flags
from assay.evaluate._outcome import Outcome
from assay.evaluate._result import EvalResult, Roofline, Timing, Verdict
from assay.evaluate._session import Round, Session, pinned_cpu
from assay.evaluate._zygote import Zygote, adopt_early
from assay.machine import Contention, contention_warning, load_cached, roofline_floor_s
from assay.tasks import Task, load_task
from assay.timing import Speedup, approx_halfwidth, paired_bootstrap


class Evaluator:
    """Evaluates candidates; keeps one zygote warm across evaluations (start it early: torch takes ~1.5 s)."""

    def __init__(self) -> None:
        self._zygote: Zygote | None = adopt_early() or Zygote()

    def evaluate(
        self,
        task: Task | str | Path,
        candidate: str | Path,
        config: EvalConfig | None = None,
        *,
        name: str | None = None,
    ) -> EvalResult:
        """Evaluate `candidate` on `task`.

        `candidate` is a `Path` to a file defining ModelNew, or a `str`: source text when it contains a newline,
        else a path. `name` labels the result (default: the path, or "<source>").

        Raises:
            UserError: the task or the candidate file is missing or malformed (TaskError for the task).
            InfrastructureError: the sandbox or a trusted worker failed (SandboxError, WorkerError).
        """
        config = config or EvalConfig()
        task = task if isinstance(task, Task) else load_task(task)
        path, source = read_candidate(candidate)
        started = time.monotonic()
        result = self._run(task, path, source, config)
        result.task, result.candidate = task.name, name or str(path)
        result.sizes = dict(config.sizes)
        result.scan = scan_source(source)
        result.environment = _environment(config)
        result.elapsed_s = round(time.monotonic() - started, 3)
        warning = isolation_warning(result.isolation)
        if warning is not None:
            result.warnings.append(warning)
        return encodable(result)

    def _run(self, task: Task, path: Path, source: str, config: EvalConfig) -> EvalResult:
        try:
            ast.parse(source, filename=path.name)
        except SyntaxError as exc:
            return EvalResult(verdict=Verdict.CRASHED, message=f"{path.name} line {exc.lineno}: {exc.msg}")
        if self._zygote is None:
            self._zygote = Zygote()
        session = Session(task, source, config, self._zygote)
        try:
            weight_seed = secrets.randbits(63)
            session.start_reference(weight_seed)
            session.start_candidate(weight_seed)
            return _measure(session, config)
        except Outcome as outcome:
            return EvalResult(
                verdict=outcome.verdict,
                message=outcome.message,
                flags=list(outcome.flags),
                isolation=session.isolation,
                calls_checked=session.calls_checked,
            )
        finally:
            session.close()

    def close(self) -> None:
        if self._zygote is not None:
            self._zygote.close()
            self._zygote = None

    def __enter__(self) -> Evaluator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def evaluate(
    task: Task | str | Path, candidate: str | Path, config: EvalConfig | None = None, *, name: str | None = None
) -> EvalResult:
    """Evaluate one candidate on one task with a fresh evaluator. See `Evaluator.evaluate`."""
    with Evaluator() as evaluator:
        return evaluator.evaluate(task, candidate, config, name=name)


def read_candidate(candidate: str | Path) -> tuple[Path, str]:
    """The candidate's file name and source: a `Path` is read; a `str` with a newline is the source itself.

    Raises:
        UserError: the file is missing or unreadable.
    """
    if isinstance(candidate, str) and "\n" in candidate:
        return Path("<source>"), candidate
    path = Path(candidate)
    try:
        return path, path.read_text()
    except FileNotFoundError:
        raise UserError(f"candidate not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"cannot read candidate {path}: {exc}") from None


def _measure(session: Session, config: EvalConfig) -> EvalResult:
    # Extra sizes first: a candidate specialised to the default shape fails here.
    for sizes in session.task.spec.extra_sizes:
        session.run_round(dict(sizes), 1)
    # Calibration: two single calls per side give the call time, from which the block size follows.
    warm = [session.run_round(None, 1) for _ in range(2)]
    session.ref_call_s = float(np.median([r.ref_s for r in warm]))
    # Warm-up (lazy init, caches, allocator growth): checked like every call, never timed. Large blocks keep
    # the number of rounds, and so the per-round overhead, small.
    k_warm = _calls_for(config.warmup_s / 4, session.ref_call_s, _byte_cap(session, config))
    while min(sum(r.ref_s for r in warm), sum(r.cand_s for r in warm)) < config.warmup_s and len(warm) < 12:
        warm.append(session.run_round(None, k_warm))
        if _late(session, 0.5):
            break
    # The block size comes from warm calls: the first ones can be many times slower (measurement.md 4.2).
    last = warm[-1]
    session.ref_call_s = last.ref_s / last.calls
    k = _calls_for(config.min_block_s, session.ref_call_s, _byte_cap(session, config))
    rounds: list[Round] = []
    speedup: Speedup | None = None
    contention = Contention(session.own_pids())
    session.orders.clear()  # the timed rounds come in pairs of opposite order; the rules below stop after a pair
    while True:
        rounds.append(session.run_round(None, k))
        n = len(rounds)
        spent = min(sum(r.ref_s for r in rounds), sum(r.cand_s for r in rounds))
        enough = n % 2 == 0 and (n >= config.max_rounds or spent >= config.timing_budget_s)
        if n >= config.min_rounds and n % 2 == 0 and (enough or _near_target(rounds, config)):
            speedup = _speedup(rounds, config, session)
            if speedup.halfwidth <= config.target_halfwidth:
                break
        if enough or (n >= 5 and _late(session, 0.25)):
            break
    if speedup is None or speedup.rounds != len(rounds):
        speedup = _speedup(rounds, config, session)
    warning = contention_warning(contention.foreign_cpus())
    result = _result(session, config, rounds, warm, k, speedup)
    if warning is not None:
        result.warnings.append(warning)
    return result


def _byte_cap(session: Session, config: EvalConfig) -> int:
    """Most calls per block: each call's inputs and outputs sit in the workers' memfds at once, and a memfd
    counts against the sandbox's file-size limit."""
    per_call = 3 * max(session.call_bytes, 1)  # inputs, the reference's and the candidate's outputs
    return max(1, min(config.max_block_calls, config.block_bytes // per_call))


def _calls_for(seconds: float, call_s: float, cap: int) -> int:
    return max(1, min(cap, math.ceil(seconds / max(call_s, 1e-9))))


def _late(session: Session, fraction: float) -> bool:
    """True when less than `fraction` of the whole time budget is left."""
    return session.deadline - time.monotonic() < fraction * session.config.timeout_s


def _near_target(rounds: list[Round], config: EvalConfig) -> bool:
    """Whether the bootstrap is worth running: the cheap estimate of its half-width is within 10% of the target.

    Looking at every pair of rounds instead of every tenth round ends a run on average 4 rounds sooner, and
    skips most bootstraps (5-10 ms each at 100-200 rounds).
    """
    estimate = approx_halfwidth([r.ref_s for r in rounds], [r.cand_s for r in rounds])
    return estimate <= 1.1 * config.target_halfwidth


def _speedup(rounds: list[Round], config: EvalConfig, session: Session) -> Speedup:
    return paired_bootstrap(
        [r.ref_s for r in rounds],
        [r.cand_s for r in rounds],
        resamples=config.bootstrap_resamples,
        rng=session.rng,
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


def _result(
    session: Session,
    config: EvalConfig,
    rounds: list[Round],
    warm: list[Round],
    k: int,
    speedup: Speedup,
) -> EvalResult:
    speedup = speedup.widened(config.between_runs_sd)  # the stopping rule saw this run's spread alone
    ref_ms = float(np.median([r.ref_s for r in rounds])) / k * 1e3
    cand_ms = float(np.median([r.cand_s for r in rounds])) / k * 1e3
    roofline = _roofline(session, ref_ms, cand_ms)
    flags = [
        *timing_flags(rounds, k, session.host_gaps[-len(rounds) :]),
        *plausibility_flags(speedup.value, config.plausible_speedup, cand_ms, roofline),
    ]
    timing = Timing(
        calls_per_sample=k,
        reference_ms=[r.ref_s * 1e3 for r in rounds],
        candidate_ms=[r.cand_s * 1e3 for r in rounds],
        reference_inner_ms=[r.ref.inner_s * 1e3 for r in rounds],
        candidate_inner_ms=[r.cand.inner_s * 1e3 for r in rounds],
        reference_wall_ms=[r.ref.wall_s * 1e3 for r in rounds],
        candidate_wall_ms=[r.cand.wall_s * 1e3 for r in rounds],
        clock="cpu" if rounds[0].cpu_clock else "wall",
        reference_first=[r.ref_first for r in rounds],
        warmup_rounds=len(warm),
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


def _environment(config: EvalConfig) -> dict[str, object]:
    from importlib.metadata import version

    return {
        "torch": version("torch"),
        "python": platform.python_version(),
        "cpu": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "threads": 1,
        "pinned_cpu": pinned_cpu(config),
        "load_average": list(os.getloadavg()),
    }
