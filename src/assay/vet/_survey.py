"""`assay tasks list`: what each task is, how big, how long its reference takes, how close to the roofline.

The reference is timed in the probe worker (trusted: task code only). `start.py` is candidate-like code, so
it is never run there: with `time_start`, it goes through the real evaluator, whose `candidate_ms` is the
start's time (measured interleaved with the reference, in the sandbox, like any candidate).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

from assay.errors import ConfigError, TaskError
from assay.machine import MachineProfile, load_cached, roofline_fraction
from assay.tasks import Task, find_size_constants
from assay.vet._check import CheckConfig, describe_failure, plan_sizes
from assay.vet._probe import ProbeSession


@dataclass(frozen=True)
class TaskSummary:
    """One row of `assay tasks list`. Times are single-threaded milliseconds per call."""

    name: str
    level: int | None
    description: str
    constants: dict[str, int]
    sizes: dict[str, int] = field(default_factory=dict)  # overrides used (a shrunk KernelBench file)
    reference_ms: float | None = None
    reference_roofline: float | None = None
    start_ms: float | None = None
    start_roofline: float | None = None
    error: str | None = None


def _roofline(task: Task, profile: MachineProfile | None, ms: float | None) -> float | None:
    work = task.spec.work
    if profile is None or work is None or ms is None or ms <= 0 or (work.flops == 0 and work.bytes == 0):
        return None
    try:
        return roofline_fraction(profile, work.flops, work.bytes, ms / 1e3, task.spec.dtype, threads=1)
    except ConfigError:
        return None  # a dtype the profile did not measure


def _time_reference(
    session: ProbeSession, task: Task, config: CheckConfig
) -> tuple[dict[str, int], float | None, str | None]:
    try:
        sizes, _ = plan_sizes(session, task, config)
    except TaskError as exc:
        return {}, None, str(exc)
    job = {
        "kind": "time",
        "task_file": str(task.task_file),
        "sizes": sizes,
        "max_call_s": config.max_call_s,
        "memory_budget_bytes": config.memory_budget_bytes,
    }
    answer = session.run(job, config.job_timeout_s)
    if "failure" in answer:
        return sizes, None, describe_failure(answer)
    if answer.get("reason"):
        return sizes, None, str(answer["message"])
    return sizes, float(answer["reference_s"]) * 1e3, None


def _time_starts(
    rows: list[tuple[Task, TaskSummary]], config: CheckConfig, profile: MachineProfile | None
) -> list[TaskSummary]:
    from assay.evaluate import EvalConfig, Evaluator

    out: list[TaskSummary] = []
    evaluator: Evaluator | None = None
    try:
        for task, row in rows:
            if task.start_file is None or row.error is not None:
                out.append(row)
                continue
            evaluator = evaluator or Evaluator()
            result = evaluator.evaluate(
                task, task.start_file, EvalConfig(timeout_s=config.eval_timeout_s, sizes=row.sizes)
            )
            ms = result.candidate_ms if str(result.verdict) == "verified" else None
            out.append(replace(row, start_ms=ms, start_roofline=_roofline(task, profile, ms)))
    finally:
        if evaluator is not None:
            evaluator.close()
    return out


def summarize_suite(
    tasks: Iterable[Task],
    *,
    time_reference: bool = True,
    time_start: bool = False,
    config: CheckConfig | None = None,
    on_row: Callable[[TaskSummary], None] | None = None,
) -> list[TaskSummary]:
    """A summary per task; the roofline columns need a cached machine profile (`assay machine`) and [work].

    Args:
        tasks: the tasks to summarize.
        time_reference: time each reference (KernelBench files over the limits are shrunk first).
        time_start: evaluate each start.py with the real evaluator and report its verified time.
        config: limits for shrinking and timing.
        on_row: called with each row as soon as its reference is timed (before any start.py runs).

    Raises:
        WorkerError: the probe worker or the evaluator's trusted workers failed.
    """
    config = config or CheckConfig()
    profile = load_cached()
    rows: list[tuple[Task, TaskSummary]] = []
    session = ProbeSession() if time_reference else None
    try:
        for task in tasks:
            sizes: dict[str, int] = {}
            ms: float | None = None
            error: str | None = None
            if session is not None:
                sizes, ms, error = _time_reference(session, task, config)
            row = TaskSummary(
                name=task.name,
                level=task.spec.level,
                description=task.spec.description,
                constants=find_size_constants(task.source),
                sizes=sizes,
                reference_ms=ms,
                reference_roofline=_roofline(task, profile, ms),
                error=error,
            )
            rows.append((task, row))
            if on_row is not None:
                on_row(row)
    finally:
        if session is not None:
            session.close()
    return _time_starts(rows, config, profile) if time_start else [row for _, row in rows]
