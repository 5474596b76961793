"""Shrinking a KernelBench problem sized for a data-centre GPU until one reference call fits this machine."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from assay.errors import TaskError
from assay.tasks import Task
from assay.vet._probe import ProbeSession


@dataclass(frozen=True)
class ShrinkResult:
    """The overrides chosen, and what they cost: measured seconds per call and estimated bytes."""

    sizes: dict[str, int]
    constants: dict[str, int]
    fits: bool
    reference_s: float | None
    memory_bytes: int | None
    measured: int  # real runs it took
    max_rss_bytes: int | None = None  # the probe child's peak resident memory
    notes: tuple[str, ...] = field(default=())

    def moves(self) -> list[str]:
        """How far each changed size moved: `batch_size 4096 -> 64 (1/64)`, in the task's order."""
        out = []
        for name, original in self.constants.items():
            if name in self.sizes and self.sizes[name] != original:
                new = self.sizes[name]
                out.append(f"{name} {original} -> {new} (1/{original / new:.3g})")
        return out


def shrink_job(
    task: Task, time_budget_s: float, memory_budget_bytes: int, keep_within_s: float | None = None
) -> dict[str, Any]:
    return {
        "kind": "shrink",
        "task_file": str(task.task_file),
        "time_budget_s": time_budget_s,
        "memory_budget_bytes": memory_budget_bytes,
        "keep_within_s": keep_within_s,
    }


def shrink_with(
    session: ProbeSession,
    task: Task,
    time_budget_s: float = 0.5,
    memory_budget_bytes: int = 1 << 30,
    keep_within_s: float | None = None,
) -> ShrinkResult:
    """`shrink_sizes` in an open probe session; keeps the original sizes if they run within `keep_within_s`.

    Raises:
        TaskError: the task does not load, build or run at any size, or crashes or hangs while shrinking.
        WorkerError: the probe worker itself failed.
    """
    answer = session.run(shrink_job(task, time_budget_s, memory_budget_bytes, keep_within_s))
    if "failure" in answer:
        # The child runs only task code, so its death or a missed deadline is the task's failure.
        raise TaskError(f"the process shrinking task {task.name} {answer['detail']} (stage {answer['stage']})")
    if answer.get("reason"):
        raise TaskError(f"task {task.name} cannot be shrunk: {answer['message']}")
    notes = [] if answer["meta"] else ["the meta device could not build this task, so memory was not estimated"]
    if not answer["fits"]:
        notes.append(f"no sizes fit {time_budget_s:g} s and {memory_budget_bytes / 2**30:.3g} GiB; used the smallest")
    result = ShrinkResult(
        sizes=answer["sizes"],
        constants=answer["constants"],
        fits=answer["fits"],
        reference_s=answer["reference_s"],
        memory_bytes=answer["memory_bytes"],
        measured=answer["measured"],
        max_rss_bytes=answer.get("max_rss_bytes"),
        notes=tuple(notes),
    )
    moves = result.moves()
    return replace(result, notes=(*result.notes, "sizes moved: " + ", ".join(moves))) if moves else result


def shrink_report(task: Task, time_budget_s: float = 0.5, memory_budget_bytes: int = 1 << 30) -> ShrinkResult:
    """`shrink_sizes` with everything it found: original and new sizes (`moves()`), time, memory, notes.

    Raises:
        TaskError: the task does not load, build or run at any size, or crashes or hangs while shrinking.
        WorkerError: the probe worker itself failed.
    """
    with ProbeSession() as session:
        return shrink_with(session, task, time_budget_s, memory_budget_bytes)


def shrink_sizes(task: Task, time_budget_s: float = 0.5, memory_budget_bytes: int = 1 << 30) -> dict[str, int]:
    """Smaller values for a task's size constants so that one reference call fits the budgets.

    Halves size constants (never kernel_size, stride, padding, groups, heads: see `find_size_constants`) step
    by step, the least shrunk first so that their ratios hold, never below their floors (`size_floor`). Memory
    is estimated on the meta device, so the full-size tensors are never allocated; time is measured
    single-threaded in a trusted subprocess that runs the task's own `Model` (never candidate code). Returns
    only the constants that changed: {} when the task already fits.

    Raises:
        TaskError: the task does not load, build or run at any size, or crashes or hangs while shrinking.
        WorkerError: the probe worker itself failed.
    """
    return shrink_report(task, time_budget_s, memory_budget_bytes).sizes
