"""PNG plots: one run's score against time, and best-of-k against total time (RE-Bench's comparison of agents
and humans). matplotlib with the Agg backend, imported only when a plot is asked for."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assay.env._report import Run, Summary


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _unit(longest_s: float) -> tuple[float, str]:
    """Hours for runs of hours, minutes for shorter ones."""
    return (3600.0, "hours") if longest_s >= 7200 else (60.0, "minutes")


def plot_run(run: Run, path: Path) -> None:
    """Each counted entry as a point, the best so far as a step line, entries that scored nothing as crosses."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4))
    scale, unit = _unit(run.time_s)
    counted = [e for e in run.entries if e.counts]
    if counted:
        times, best, top = [], [], float("-inf")
        for e in counted:
            top = max(top, e.normalized_score or 0.0)
            times.append(e.elapsed_s / scale)
            best.append(top)
        end = max(run.time_s / scale, times[-1])
        ax.step([*times, end], [*best, best[-1]], where="post", color="tab:blue", label="best so far")
        ax.scatter(times, [e.normalized_score for e in counted], color="tab:blue", s=18, label="verified entry")
    failed = [e for e in run.entries if not e.counts]
    if failed:
        low = min([0.0, *(e.normalized_score or 0.0 for e in counted)])
        xs = [e.elapsed_s / scale for e in failed]
        ax.scatter(xs, [low] * len(failed), marker="x", color="tab:red", label="no score (not verified, or late)")
    ax.axhline(0, color="grey", lw=0.8, ls="--")
    ax.axhline(1, color="green", lw=0.8, ls="--", label="reference solution")
    if run.time_budget_s is not None:
        ax.axvline(run.time_budget_s / scale, color="black", lw=0.8, ls=":", label="time budget")
    ax.set_xlabel(f"time since the environment started ({unit})")
    ax.set_ylabel("normalized score")
    ax.set_title(f"{run.task}: best {run.score:.3f}" if run.score is not None else f"{run.task}: no score")
    ax.legend(fontsize="small", loc="best")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_summary(summary: Summary, path: Path) -> None:
    """Best-of-k for k = 1 .. runs against k times the run time: one line per task, and their mean."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4))
    scale, unit = _unit(max(t.runs * t.run_time_s for t in summary.tasks))
    for task in summary.tasks:
        ks = range(1, task.runs + 1)
        ax.plot([k * task.run_time_s / scale for k in ks], task.best_of_k, marker="o", ms=3, alpha=0.6, label=task.task)
    if len(summary.tasks) > 1 and summary.best_of_k:
        ks = range(1, len(summary.best_of_k) + 1)
        xs = [k * summary.run_time_s / scale for k in ks]
        ax.plot(xs, summary.best_of_k, marker="s", color="black", lw=2, label="mean over tasks")
    ax.axhline(0, color="grey", lw=0.8, ls="--")
    ax.axhline(1, color="green", lw=0.8, ls="--")
    ax.set_xlabel(f"total time: k runs x time per run ({unit})")
    ax.set_ylabel("best-of-k normalized score")
    ax.set_title(f"best-of-k over {summary.runs} runs of {len(summary.tasks)} task(s)")
    ax.legend(fontsize="small", loc="best")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
