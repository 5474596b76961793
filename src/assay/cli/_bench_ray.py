"""`assay bench --ray ADDRESS`: the same pairs, keys, rows and results file as a local run, evaluated on a Ray
cluster, as many at once as its nodes declare timing CPUs.

Pairs already in the results file are not sent; every other pair is read here (a file that cannot be read is
an error row at once, as locally) and sent as text. Rows are written as they come back, each key's verdict
once (`ResultsFile`); the report lists them in the suite's order, as a local run does.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from assay.cli._eval import warn_weak_isolation
from assay.cli._results import Row
from assay.evaluate import EvalResult
from assay.report import make_console
from assay.tasks import Task
from assay.vet import ShrinkResult

if TYPE_CHECKING:
    from assay.cli._bench import _Run


def bench_on_cluster(
    run: _Run,
    pairs: list[tuple[Task, Path]],
    address: str,
    show: Callable[[str], None],
    advance: Callable[[], None],
) -> list[Row]:
    """Every pair's row, in the order of `pairs`.

    Raises:
        ConfigError: Ray is not installed.
        ClusterError: the cluster cannot be reached, declares no timing CPU, or no evaluator starts on it.
    """
    from assay.cli._bench import error_row, row_line
    from assay.cluster import Job, RayEvaluator

    err = make_console(stderr=True)

    def notice(text: str) -> None:
        err.print(f"assay: {text}", markup=False, highlight=False)

    rows: list[Row | None] = [None] * len(pairs)
    jobs: list[Job] = []
    sent: list[tuple[int, str, ShrinkResult | None]] = []  # (pair index, key, shrink) of each job
    for index, (task, path) in enumerate(pairs):
        key = run.key(task, path)
        cached = run.cached(key)
        if cached is not None:
            rows[index] = cached
            show(row_line(cached) + "  [from the results file]")
            advance()
            continue
        try:
            config, shrunk = run.task_config(task)
            jobs.append(Job.read(task, path, config, str(path)))
        except Exception as exc:  # unreadable here: an error row, as locally, and the run goes on
            rows[index] = failed = run.record(key, error_row(exc, task, path))
            show(row_line(failed))
            advance()
            continue
        sent.append((index, key, shrunk))
    if jobs:  # a rerun with every pair in the results file needs no cluster
        with RayEvaluator(address, notice=notice) as cluster:
            nodes = cluster.nodes()
            models = "; ".join(sorted({n.cpu_model for n in nodes}))
            notice(
                f"evaluating {len(jobs)} pairs on {cluster.slots} timing CPUs of {len(nodes)} Ray node(s) ({models})"
            )
            for job_index, row in cluster.evaluate_many(jobs):
                index, key, shrunk = sent[job_index]
                rows[index] = kept = run.record(key, row, shrunk)
                show(row_line(kept) + ("  [already in the results file]" if kept is not row else ""))
                if isinstance(kept, EvalResult) and kept is row:
                    warn_weak_isolation(kept)
                advance()
    assert all(r is not None for r in rows)
    return [r for r in rows if r is not None]
