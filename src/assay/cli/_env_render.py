"""Readable output of `assay env`. Log messages quote solutions' own errors: always escaped for rich."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

from assay.env import EnvFile, LogEntry, RunReport, Summary
from assay.report import safe_text, verdict_text


def _hms(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def render_init(env: EnvFile, state: Path, scorer: str | None, console: Console) -> None:
    budget = _hms(env.time_budget_s) if env.time_budget_s else "none"
    settings = f"{env.settings.profile} settings, time budget {budget}"
    console.print(f"[bold]assay env init[/] {safe_text(env.task)}: ready ({settings})")
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="dim")
    grid.add_column()
    grid.add_row("workspace", f"{safe_text(env.workspace)}  (for the agent: INSTRUCTIONS.md, solution.py, ./score)")
    grid.add_row("state", f"{safe_text(str(state))}  (the scorer's only: reference, baselines, log)")
    grid.add_row("socket", safe_text(env.socket))
    console.print(grid)
    serve = f"assay env serve {state}"
    if scorer:
        serve = f"runuser -u {scorer} -- {serve}"
    first = "starts the clock" if env.baselines else "measures the baselines, then starts the clock"
    console.print(f"next: [bold]{safe_text(serve)}[/] ({first})")


def _entry_notes(entry: LogEntry) -> str:
    notes = []
    if entry.late:
        notes.append("late")
    notes += [f"flag {f}" for f in entry.flags]
    notes += entry.tampering
    if entry.verdict != "verified" and entry.message and not any(entry.message in t for t in entry.tampering):
        notes.append(entry.message if len(entry.message) < 100 else entry.message[:97] + "...")
    return safe_text("; ".join(notes))


def render_report(made: RunReport, plot: Path | None, console: Console) -> None:
    console.print(
        f"[bold]assay env report[/] {safe_text(made.task)} ({safe_text(made.state)}, {made.profile} settings)"
    )
    if made.baselines:
        b = made.baselines
        console.print(f"baselines: y_start {b.start:.4f}, y_reference {b.reference:.4f} (log speedups over Model)")
    table = Table(show_edge=False, pad_edge=False)
    for column in ("#", "elapsed", "verdict", "speedup", "raw", "score", "notes"):
        table.add_column(column, justify="right" if column in ("#", "speedup", "raw", "score") else "left")
    for e in made.entries:
        table.add_row(
            str(e.index),
            _hms(e.elapsed_s),
            verdict_text(e.verdict),
            f"{e.speedup:.3f}x" if e.speedup is not None else "",
            f"{e.raw_score:.4f}" if e.raw_score is not None else "",
            f"{e.normalized_score:.3f}" if e.normalized_score is not None else "",
            _entry_notes(e),
        )
    console.print(table)
    best = f"{made.best:.3f} (entry {made.best_entry})" if made.best is not None else "none (no verified entry)"
    console.print(f"best score: [bold]{best}[/]; {made.counted} of {len(made.entries)} entries count")
    for problem in made.log_problems:
        console.print(f"[red]log problem:[/] {safe_text(problem)}")
    if plot:
        console.print(f"plot: {safe_text(str(plot))}")


def render_summary(made: Summary, plot: Path | None, console: Console) -> None:
    console.print(f"[bold]assay env summary[/]: {made.runs} runs of {len(made.tasks)} task(s)")
    table = Table(show_edge=False, pad_edge=False)
    for column in ("task", "runs", "mean", "best-of-k, k = 1..runs", "time per run"):
        table.add_column(column)
    for t in made.tasks:
        unscored = f" ({t.unscored_runs} unscored, as 0)" if t.unscored_runs else ""
        ks = "  ".join(f"{v:.3f}" for v in t.best_of_k)
        table.add_row(safe_text(t.task), f"{t.runs}{unscored}", f"{t.mean:.3f}", ks, _hms(t.run_time_s))
    console.print(table)
    if len(made.tasks) > 1:
        console.print(f"mean over tasks, best-of-k: {'  '.join(f'{v:.3f}' for v in made.best_of_k)}")
    if "quick" in made.profiles:
        console.print("[yellow]some runs used quick settings: not scores to report[/]")
    if plot:
        console.print(f"plot: {safe_text(str(plot))}")
