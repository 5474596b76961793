"""`assay env report` (one run) and `assay env summary` (many runs of many tasks): the figures, as data.

A run is one environment's state directory. Its score is its best counted entry (verified, within the time
budget). A run with no such entry has no score of its own; in a summary it counts as 0, the starting
solution's score, which the agent was handed and could have submitted unchanged (the output says how many
runs that concerns). A run's time is its budget, or, without one, the time of its last entry.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, Field

from assay.env._score import best_of_each_k, run_score
from assay.env._state import ENV_FILE, Baselines, LogEntry, read_env, read_log
from assay.errors import UserError

REPORT_VERSION = 1


@dataclass(frozen=True)
class Run:
    """One environment's run, read from its state directory."""

    state: Path
    task: str
    entries: tuple[LogEntry, ...]
    baselines: Baselines | None
    time_budget_s: float | None
    profile: str
    log_problems: tuple[str, ...] = ()

    @property
    def score(self) -> float | None:
        return run_score(self.entries)

    @property
    def time_s(self) -> float:
        if self.time_budget_s is not None:
            return self.time_budget_s
        return max((e.elapsed_s for e in self.entries), default=0.0)


def load_run(state: Path) -> Run:
    """The run in `state`.

    Raises:
        UserError: `state` is not an environment's state directory, or cannot be read.
    """
    env = read_env(state)
    problems: list[str] = []
    entries = read_log(state, problems)
    return Run(
        state=state.absolute(),
        task=env.task,
        entries=tuple(entries),
        log_problems=tuple(problems),
        baselines=env.baselines,
        time_budget_s=env.time_budget_s,
        profile=env.settings.profile,
    )


def find_runs(paths: list[Path]) -> list[Run]:
    """Runs in `paths`: each a state directory, or a folder whose subfolders (at any depth) are.

    Raises:
        UserError: a path is missing, or no run is found.
    """
    runs = []
    for path in paths:
        if not path.is_dir():
            raise UserError(f"not a folder: {path}")
        found = [path] if (path / ENV_FILE).is_file() else sorted(p.parent for p in path.rglob(ENV_FILE))
        runs += [load_run(p) for p in found]
    if not runs:
        raise UserError(f"no environment state found in {', '.join(map(str, paths))}")
    return runs


class RunReport(BaseModel):
    """`assay env report --json`."""

    version: int = REPORT_VERSION
    task: str
    state: str
    profile: str
    baselines: Baselines | None
    time_budget_s: float | None
    entries: list[LogEntry]
    verdicts: dict[str, int]
    counted: int
    best: float | None
    best_entry: int | None
    log_problems: list[str]  # lines that are not entries, entries out of sequence: the log was not only appended to


def report(run: Run) -> RunReport:
    best = max((e for e in run.entries if e.counts), key=lambda e: e.normalized_score or 0.0, default=None)
    return RunReport(
        task=run.task,
        state=str(run.state),
        profile=run.profile,
        baselines=run.baselines,
        time_budget_s=run.time_budget_s,
        entries=list(run.entries),
        verdicts=dict(Counter(e.verdict for e in run.entries)),
        counted=sum(e.counts for e in run.entries),
        best=run.score,
        best_entry=best.index if best else None,
        log_problems=list(run.log_problems),
    )


class TaskFigures(BaseModel):
    task: str
    runs: int
    unscored_runs: int  # runs with no counted entry, taken as 0
    scores: list[float]  # each run's score, in the order the runs were given
    mean: float
    best_of_k: list[float]  # k = 1 .. runs
    run_time_s: float  # the mean time of a run: best-of-k spends k times this


class Summary(BaseModel):
    """`assay env summary --json`. `best_of_k` over all tasks is the mean over tasks, for k up to the smallest
    number of runs of a task; its time is k times the mean run time over tasks."""

    version: int = REPORT_VERSION
    runs: int
    tasks: list[TaskFigures]
    best_of_k: list[float] = Field(default_factory=list)
    run_time_s: float = 0.0
    profiles: list[str] = Field(default_factory=list)


def summarize(runs: list[Run]) -> Summary:
    by_task: dict[str, list[Run]] = {}
    for run in runs:
        by_task.setdefault(run.task, []).append(run)
    tasks = []
    for name in sorted(by_task):
        group = by_task[name]
        scores = [r.score if r.score is not None else 0.0 for r in group]
        tasks.append(
            TaskFigures(
                task=name,
                runs=len(group),
                unscored_runs=sum(r.score is None for r in group),
                scores=scores,
                mean=sum(scores) / len(scores),
                best_of_k=best_of_each_k(scores),
                run_time_s=sum(r.time_s for r in group) / len(group),
            )
        )
    depth = min(t.runs for t in tasks)
    overall = [sum(t.best_of_k[k] for t in tasks) / len(tasks) for k in range(depth)]
    return Summary(
        runs=len(runs),
        tasks=tasks,
        best_of_k=overall,
        run_time_s=sum(t.run_time_s for t in tasks) / len(tasks),
        profiles=sorted({r.profile for r in runs}),
    )
