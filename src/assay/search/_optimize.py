"""`optimize` and `resume`: a run from start to its best verified candidate, written to a file.

The search evaluates candidates with one warm evaluator, one at a time (timing needs the CPU to itself). At
the end the best candidates by fitness are evaluated afresh with the full protocol: the best of many noisy low
ends is biased upward (the winner's curse), and a fresh evaluation is not.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from assay.errors import UserError
from assay.evaluate import EvalConfig, EvalResult, Verdict
from assay.search._config import Budget, SearchConfig
from assay.search._loop import Search
from assay.search._programs import sha256
from assay.search._progress import Reporter
from assay.search._proposer import Proposer
from assay.search._registry import make_proposer
from assay.store import RUN_FILE, CandidateRow, RunLock, RunStore, new_run_dir
from assay.tasks import Task, load_task

BEST_FILE = "best.py"
_CONFIRM_TRIES = 3


class EvaluatorLike(Protocol):
    """What a search evaluates with: an `Evaluator`, or an `assay.cluster.RayEvaluator` (which may also start
    evaluations ahead, `prefetch`, so that every node of a cluster is busy)."""

    def evaluate(
        self,
        task: Task | str | Path,
        candidate: str | Path,
        config: EvalConfig | None = None,
        *,
        name: str | None = None,
    ) -> EvalResult: ...


@dataclass(frozen=True)
class Outcome:
    """How a run ended. `result` is the confirming evaluation of `best` (the search's own with confirm off)."""

    run_id: str
    run_file: Path
    stop_reason: str
    evals: int
    best: CandidateRow | None = None
    result: EvalResult | None = None
    confirmed: bool = False
    written: tuple[Path, ...] = ()

    @property
    def ok(self) -> bool:
        return self.result is not None and self.result.verdict == Verdict.VERIFIED


def optimize(
    task: Task,
    config: SearchConfig,
    evaluator: EvaluatorLike,
    reporter: Reporter,
    *,
    runs_dir: Path,
    proposer: Proposer | None = None,
    out: Path | None = None,
) -> Outcome:
    """Start a run of `config` on `task` under `runs_dir`, and search until its budget is spent.

    Raises:
        ConfigError: the proposer cannot start (unknown name, missing key).
        InfrastructureError: the evaluator failed; the run can be resumed.
    """
    proposer = proposer or make_proposer(config)
    run_id, run_dir = new_run_dir(runs_dir, task.name)
    lock = RunLock(run_dir / "lock")
    lock.acquire()
    try:
        store = RunStore.create(
            run_dir / RUN_FILE,
            run_id,
            task.name,
            str(task.root if task.task_file.name == "task.py" else task.task_file),
            sha256(task.source),
            config.seed,
            config.model_dump_json(),
        )
        return _drive(run_id, task, store, config, proposer, evaluator, reporter, out)
    finally:
        lock.release()


def resume(
    run_file: Path,
    evaluator: EvaluatorLike,
    reporter: Reporter,
    *,
    budget: Budget | None = None,
    proposer: Proposer | None = None,
    out: Path | None = None,
) -> Outcome:
    """Continue a run from its file: what is recorded is replayed, only what is missing is done.

    Raises:
        UserError: the run is held by another process, or its task is gone or has changed.
    """
    lock = RunLock(run_file.parent / "lock")
    lock.acquire()
    try:
        store = RunStore.open(run_file)
        info = store.run()
        config = SearchConfig.model_validate_json(info.config)
        if budget is not None:
            config = config.model_copy(update={"budget": budget})
        task = load_task(info.task_path)
        if sha256(task.source) != info.task_sha256:
            raise UserError(f"the task {info.task_path} has changed since run {info.id} started; start a new run")
        proposer = proposer or make_proposer(config)
        store.begin_session(config.model_dump_json() if budget is not None else None)
        return _drive(info.id, task, store, config, proposer, evaluator, reporter, out)
    finally:
        lock.release()


def _drive(
    run_id: str,
    task: Task,
    store: RunStore,
    config: SearchConfig,
    proposer: Proposer,
    evaluator: EvaluatorLike,
    reporter: Reporter,
    out: Path | None,
) -> Outcome:
    search_config = config.eval.search_config()

    def evaluate(source: str, name: str) -> EvalResult:
        return evaluator.evaluate(task, source, search_config, name=name)

    ahead: Callable[..., bool] | None = getattr(evaluator, "prefetch", None)

    def prefetch(source: str, name: str) -> bool:
        assert ahead is not None
        return ahead(task, source, search_config, name=name)

    search = Search(run_id, task, store, proposer, evaluate, config, reporter, prefetch if ahead else None)
    try:
        reason = search.run()
        confirm = config.eval.confirm_config() if config.confirm else None
        best, result, confirmed = _confirm(search, store, task, evaluator, confirm, reporter)
        written: list[Path] = []
        if best is not None and best.source is not None and result is not None and result.ok:
            for path in (store.path.parent / BEST_FILE, out):
                if path is not None:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_text(best.source)
                    written.append(path)
        store.finish("finished", reason)
        return Outcome(run_id, store.path, reason, search.spent.evals, best, result, confirmed, tuple(written))
    except KeyboardInterrupt:
        store.finish("interrupted", "interrupted")
        raise
    except BaseException as exc:
        store.finish("failed", f"{type(exc).__name__}: {exc}")
        raise
    finally:
        store.close()


def _confirm(
    search: Search, store: RunStore, task: Task, evaluator: EvaluatorLike, config: EvalConfig | None, reporter: Reporter
) -> tuple[CandidateRow | None, EvalResult | None, bool]:
    """The best candidate that a fresh, full evaluation still verifies (trying the best few, in order)."""
    ranked = search.db.ranked()
    if not ranked:
        return None, None, False
    rows = {row.id: row for row in store.candidates()}
    if config is None:
        return rows[ranked[0].id], ranked[0].parent.result, False
    first: tuple[CandidateRow, EvalResult] | None = None
    for entry in ranked[:_CONFIRM_TRIES]:
        stored = store.evaluation(entry.id, "confirm")
        if stored is None:
            reporter.waiting(f"confirming candidate {entry.id}")
            fresh = evaluator.evaluate(task, rows[entry.id].source or "", config, name=f"candidate {entry.id}")
            stored = store.add_evaluation(entry.id, "confirm", fresh, "confirming evaluation")
        result = stored.result()
        if result.ok:
            return rows[entry.id], result, True
        first = first or (rows[entry.id], result)
    assert first is not None
    return first[0], first[1], True
