"""An optimizer run as the report reads it: the run file's rows, the best candidate as the optimizer chose it,
its lineage, and the starting solution it is compared with."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

from assay.errors import AssayError
from assay.store import CandidateRow, EvaluationRow, RunInfo, RunStore, ScoreEntry, UsageTotals

if TYPE_CHECKING:
    from assay.search import SearchConfig

_CONFIRM_TRIES = 3  # as the optimizer: the best few by fitness are confirmed in turn


@dataclass(frozen=True)
class RunData:
    info: RunInfo
    config: SearchConfig | None
    candidates: dict[int, CandidateRow]
    search: dict[int, EvaluationRow]  # by candidate id
    confirm: dict[int, EvaluationRow]
    score_log: tuple[ScoreEntry, ...]
    usage: UsageTotals
    best: int | None  # the candidate the run reports: the first of the ranking that its confirmation verified
    lineage: tuple[int, ...]  # the best, then its parents' line back to the first translation
    start_source: str | None
    start_note: str  # where the starting solution came from, or why there is none
    task_work: bool | None  # whether task.toml declares its work (needed for roofline figures); None: task gone
    machine_profile: bool  # whether this machine has a profile now (`assay machine`)

    def ranked(self) -> list[EvaluationRow]:
        """Verified search evaluations, best fitness (the interval's low end) first."""
        verified = [e for e in self.search.values() if e.fitness is not None]
        return sorted(verified, key=lambda e: (-(e.fitness or 0.0), e.candidate_id))


def load_run_data(run_file: Path) -> RunData:
    """Read a run file.

    Raises:
        UserError: the file is not a run file, or a newer version's.
    """
    from assay.search import SearchConfig  # here: `assay eval` imports this package and needs none of the search

    store = RunStore.open(run_file)
    try:
        info, rows, evaluations = store.run(), store.candidates(), store.evaluations()
        score_log, usage = store.score_log(), store.usage()
    finally:
        store.close()
    try:
        config: SearchConfig | None = SearchConfig.model_validate_json(info.config)
    except ValidationError:
        config = None
    candidates = {c.id: c for c in rows}
    search = {e.candidate_id: e for e in evaluations if e.kind == "search"}
    confirm = {e.candidate_id: e for e in evaluations if e.kind == "confirm"}
    best = _best(search, confirm)
    start_source, start_note, task_work = _start(info)
    from assay.machine import load_cached

    return RunData(
        info=info,
        config=config,
        candidates=candidates,
        search=search,
        confirm=confirm,
        score_log=tuple(score_log),
        usage=usage,
        best=best,
        lineage=_lineage(best, candidates),
        start_source=start_source,
        start_note=start_note,
        task_work=task_work,
        machine_profile=load_cached() is not None,
    )


def _best(search: dict[int, EvaluationRow], confirm: dict[int, EvaluationRow]) -> int | None:
    ranked = sorted((e for e in search.values() if e.fitness is not None), key=lambda e: (-(e.fitness or 0), e.id))
    if not ranked:
        return None
    for e in ranked[:_CONFIRM_TRIES]:
        confirmed = confirm.get(e.candidate_id)
        if confirmed is not None and confirmed.verdict == "verified":
            return e.candidate_id
    return ranked[0].candidate_id


def _lineage(best: int | None, candidates: dict[int, CandidateRow]) -> tuple[int, ...]:
    """The first parent of each generation, back to a candidate with none (a translation)."""
    line: list[int] = []
    current = best
    while current is not None and current in candidates and current not in line:
        line.append(current)
        parents = candidates[current].parent_ids
        current = parents[0] if parents else None
    return tuple(line)


def _start(info: RunInfo) -> tuple[str | None, str, bool | None]:
    """The starting solution: the task's start.py, or its Model renamed ModelNew (as `assay env` hands out).
    Read as text: task code is never run on the trusted side."""
    from assay.env._start import model_as_start
    from assay.search._programs import sha256
    from assay.tasks import load_task

    try:
        task = load_task(info.task_path)
        source = task.source
    except (AssayError, OSError) as exc:
        return None, f"the task is no longer at {info.task_path} ({exc})", None
    work = task.spec.work is not None and (task.spec.work.flops > 0 or task.spec.work.bytes > 0)
    changed = sha256(source) != info.task_sha256
    note = " (the task file has changed since the run)" if changed else ""
    if task.start_file is not None:
        try:
            return task.start_file.read_text(), f"the task's start.py{note}", work
        except OSError as exc:
            return None, f"the task's start.py cannot be read ({exc.strerror})", work
    try:
        return model_as_start(source, str(task.task_file)), f"the task's Model, renamed ModelNew{note}", work
    except AssayError as exc:
        return None, str(exc), work
