"""`assay tasks check`: reject, with one reason, a task that cannot tell a real optimization from a trick.

Task code runs in the probe worker (a trusted subprocess; see `_probe_worker`), never in this process.
`start.py` and `reference.py` are candidate-like code and go through the real evaluator, which must
return `verified` for both.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from assay.errors import TaskError
from assay.tasks import Task, find_size_constants
from assay.vet._probe import ProbeSession
from assay.vet._shrink import shrink_with

if TYPE_CHECKING:  # not at run time: assay.evaluate imports assay.tasks
    from assay.evaluate import EvalConfig, EvalResult, Evaluator

# Rejection codes, in the order the checks run; the first failure is the task's one reason.
REASONS = (
    "not_loading",
    "too_large",
    "too_long",
    "nondeterministic",
    "zeros_pass",
    "constant_pass",
    "mean_pass",
    "passthrough_pass",
    "uninitialized_pass",
    "bf16_pass",
    "input_insensitive",
    "weight_insensitive",
    "too_short",
    "bad_start",
    "bad_reference",
)


@dataclass(frozen=True)
class CheckConfig:
    """Limits of the task checker. The call-time bounds apply to the single-threaded reference."""

    min_call_s: float = 1e-3  # under 1 ms, timer and call overhead are a visible share of the time
    max_call_s: float = 2.0
    shrink_time_s: float = 0.5  # a KernelBench file over the limits is shrunk to this per call
    memory_budget_bytes: int = 1 << 30  # estimated on the meta device: weights, inputs and output
    evaluate_solutions: bool = True  # run start.py and reference.py through the evaluator
    eval_timeout_s: float = 120.0
    eval_config: EvalConfig | None = None  # evaluator options for those runs; sizes are set per task
    job_timeout_s: float = 600.0


@dataclass(frozen=True)
class CheckResult:
    """One task's verdict: `reason` is None for a pass, else a code from `REASONS` with a sentence."""

    task: str
    reason: str | None
    message: str
    sizes: Mapping[str, int] = field(default_factory=dict)
    reference_ms: float | None = None
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.reason is None


def is_problem_file(task: Task) -> bool:
    """A bare KernelBench problem file (not a task folder's task.py): its sizes may be shrunk to fit."""
    return task.task_file.name != "task.py"


def plan_sizes(session: ProbeSession, task: Task, config: CheckConfig) -> tuple[dict[str, int], list[str]]:
    """Overrides for a KernelBench file over the checker's limits; {} for task folders (their sizes are
    the author's) and for files that already fit.

    Raises:
        TaskError: the file does not load or run; WorkerError: the probe worker failed.
    """
    if not is_problem_file(task) or not find_size_constants(task.source):
        return {}, []
    result = shrink_with(session, task, config.shrink_time_s, config.memory_budget_bytes, config.max_call_s)
    return result.sizes, list(result.notes)


# Probe stages in words, for failures that end a probe child without a result.
_STAGES = {
    "start": "while starting",
    "load": "while importing the task or building it on the meta device",
    "build": "while building the model or its inputs",
    "first-call": "during the first reference call",
    "checks": "during a reference call",
    "timing": "while timing the reference",
    "shrink-build": "while building the model to shrink it",
    "shrink-call": "during a reference call while shrinking",
}
_CALL_STAGES = {"first-call", "checks", "timing", "shrink-call"}


def describe_failure(answer: dict[str, Any]) -> str:
    """One sentence for a probe child that ended without a result (crashed, or overran a deadline)."""
    stage = str(answer.get("stage", ""))
    return f"the process running the task {answer['detail']} {_STAGES.get(stage, f'in stage {stage!r}')}"


def _answer_to_result(task: Task, answer: dict[str, Any], sizes: dict[str, int], notes: list[str]) -> CheckResult:
    if "failure" in answer:
        stage = str(answer.get("stage", ""))
        where = _STAGES.get(stage, f"in stage {stage!r}")
        if answer["failure"] == "deadline" and stage in _CALL_STAGES:
            return CheckResult(task.name, "too_long", f"a reference call did not finish in time ({where})", sizes)
        return CheckResult(task.name, "not_loading", describe_failure(answer), sizes)
    if answer.get("reason"):
        return CheckResult(task.name, answer["reason"], answer["message"], sizes, notes=tuple(notes))
    ms = float(answer["reference_s"]) * 1e3
    return CheckResult(task.name, None, f"reference {ms:.3g} ms", sizes, ms, tuple(notes + answer["notes"]))


def probe_task(session: ProbeSession, task: Task, config: CheckConfig) -> CheckResult:
    """Every check that runs the task's own code (not start.py or reference.py)."""
    try:
        sizes, notes = plan_sizes(session, task, config)
    except TaskError as exc:
        return CheckResult(task.name, "not_loading", str(exc))
    if sizes:
        notes.insert(0, "shrunk: " + ", ".join(f"{k}={v}" for k, v in sizes.items()))
    tol = task.spec.effective_tolerance()
    job = {
        "kind": "check",
        "task_file": str(task.task_file),
        "sizes": sizes,
        "dtype": task.spec.dtype,
        "atol": tol.atol,
        "rtol": tol.rtol,
        "min_call_s": config.min_call_s,
        "max_call_s": config.max_call_s,
        "memory_budget_bytes": config.memory_budget_bytes,
    }
    return _answer_to_result(task, session.run(job, config.job_timeout_s), sizes, notes)


class _Solutions:
    """Runs start.py and reference.py through the real evaluator; they must come back `verified`.

    The evaluator (and its zygote, another torch import) starts only when a task first needs it.
    """

    def __init__(self, config: CheckConfig) -> None:
        self._config = config
        self._evaluator: Evaluator | None = None

    def verify(self, task: Task, result: CheckResult) -> CheckResult:
        if not result.ok:
            return result
        from assay.evaluate import EvalConfig, Evaluator  # not at module level: it imports assay.tasks

        for code, path in (("bad_start", task.start_file), ("bad_reference", task.reference_file)):
            if path is None:
                continue
            if self._evaluator is None:
                self._evaluator = Evaluator()
            # The checker needs the verdict, not a precise speedup: a few timing rounds are enough, and the
            # evaluator's defaults (up to 200 rounds) cost a minute or more per solution on a busy machine.
            base = self._config.eval_config or EvalConfig(
                timeout_s=self._config.eval_timeout_s, min_rounds=6, max_rounds=20, timing_budget_s=0.5, warmup_s=0.05
            )
            config = replace(base, sizes=dict(result.sizes))
            outcome = self._evaluator.evaluate(task, path, config)
            if str(outcome.verdict) != "verified":
                why = f"{path.name} came back {outcome.verdict}: {outcome.message}"
                return CheckResult(task.name, code, why, result.sizes, result.reference_ms, result.notes)
            result = replace(result, notes=(*result.notes, _solution_note(path.name, outcome)))
        return result

    def close(self) -> None:
        if self._evaluator is not None:
            self._evaluator.close()


def _solution_note(name: str, outcome: EvalResult) -> str:
    """'reference.py verified 2.03x [1.98, 2.07] over Model, at 41% of the roofline'."""
    low, high = outcome.speedup_ci or (float("nan"), float("nan"))
    note = f"{name} verified {outcome.speedup:.2f}x [{low:.2f}, {high:.2f}] over Model"
    roofline = outcome.roofline
    if roofline is not None and roofline.candidate_fraction is not None:
        note += f", at {roofline.candidate_fraction:.0%} of the roofline"
    return note


def check_suite(
    tasks: Iterable[Task],
    config: CheckConfig | None = None,
    on_result: Callable[[CheckResult], None] | None = None,
) -> list[CheckResult]:
    """Check tasks one after another (timing needs a quiet machine); `on_result` sees each result as it comes.

    Raises:
        WorkerError: the probe worker or the evaluator's trusted workers failed.
        SandboxError: the evaluator could not start its sandbox for start.py or reference.py.
    """
    config = config or CheckConfig()
    results: list[CheckResult] = []
    solutions = _Solutions(config)
    try:
        with ProbeSession() as session:
            for task in tasks:
                result = probe_task(session, task, config)
                if config.evaluate_solutions:
                    result = solutions.verify(task, result)
                results.append(result)
                if on_result is not None:
                    on_result(result)
    finally:
        solutions.close()
    return results


def check_task(task: Task, config: CheckConfig | None = None) -> CheckResult:
    """Check one task (see `check_suite`).

    Raises:
        WorkerError: the probe worker or the evaluator's trusted workers failed.
    """
    return check_suite([task], config)[0]
