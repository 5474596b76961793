"""`assay runs` lists the optimizer's runs; `assay show RUN` prints one's score log and its best's lineage."""

from __future__ import annotations

from pathlib import Path

import click
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from assay.cli._common import one_line_errors
from assay.store import DEFAULT_RUNS_DIR, CandidateRow, EvaluationRow, RunInfo, RunLock, RunStore, find_run, run_files

run_dir_option = click.option(
    "--run-dir", type=click.Path(path_type=Path), default=DEFAULT_RUNS_DIR, show_default=True, help="Where runs live."
)


def _status(info: RunInfo) -> str:
    """A run still marked running that no process holds was killed: it can be resumed."""
    if info.status == "running" and not RunLock(info.path.parent / "lock").held_elsewhere():
        return "interrupted"
    return info.status


@click.command("runs")
@run_dir_option
@one_line_errors
def runs_command(run_dir: Path) -> None:
    """List the runs under --run-dir, oldest first."""
    files = run_files(run_dir)
    if not files:
        click.echo(f"no runs in {run_dir}")
        return
    table = Table(title=f"runs in {run_dir}", box=box.SIMPLE_HEAD)
    for column in ("run", "status", "evals", "best", "time", "proposer"):
        table.add_column(column, no_wrap=column != "proposer", overflow="fold")
    for path in files:
        store = RunStore.open(path)
        try:
            info, evaluations = store.run(), store.evaluations("search")
            proposer = _proposer(info)
        finally:
            store.close()
        fitness = [e.fitness for e in evaluations if e.fitness is not None]
        best = f"{max(fitness):.3f}x" if fitness else "-"
        row = (info.id, _status(info), str(len(evaluations)), best, f"{info.elapsed_s / 60:.1f}m", proposer)
        table.add_row(*(Text(cell) for cell in row))
    Console().print(table)


def _proposer(info: RunInfo) -> str:
    from assay.search import SearchConfig

    try:
        config = SearchConfig.model_validate_json(info.config)
    except ValueError:
        return "?"
    if config.proposer != "llm":
        return config.proposer
    return "llm " + " ".join(m.partition("@")[0] for m in config.llm.models)


@click.command("show")
@click.argument("run")
@run_dir_option
@one_line_errors
def show_command(run: str, run_dir: Path) -> None:
    """Print RUN's score log and the lineage of its best candidate."""
    store = RunStore.open(find_run(run, run_dir))
    try:
        info, candidates, evaluations = store.run(), store.candidates(), store.evaluations()
        score_log, usage = store.score_log(), store.usage()
    finally:
        store.close()
    console = Console()
    rows = {c.id: c for c in candidates}
    search = {e.candidate_id: e for e in evaluations if e.kind == "search"}
    confirm = {e.candidate_id: e for e in evaluations if e.kind == "confirm"}
    console.print(Text(f"run {info.id}: {info.task_name} ({info.task_path})"))
    console.print(
        Text(f"status {_status(info)}: {info.stop_reason or '-'}; proposer {_proposer(info)}; seed {info.seed}")
    )
    spent = f"{len(search)} evaluations, {len(candidates)} candidates, {info.elapsed_s / 60:.1f} min"
    if usage.calls:
        spent += f", {usage.calls} LLM calls, {usage.tokens:,} tokens, ${usage.cost_usd:.4f}"
    console.print(Text(spent))
    table = Table(title="score log", box=box.SIMPLE_HEAD)
    for column in ("#", "time", "cand", "stage", "verdict", "speedup [95% CI]", "best"):
        table.add_column(column, min_width=22 if column.startswith("speedup") else None)
    by_id = {e.id: e for e in evaluations}
    for n, entry in enumerate(score_log, 1):
        e, c = by_id.get(entry.evaluation_id), rows.get(entry.candidate_id)
        stage = "confirm" if e is not None and e.kind == "confirm" else (c.stage if c else "")
        cells = (
            str(n),
            f"{entry.elapsed_s:.0f} s",
            str(entry.candidate_id),
            stage,
            e.verdict if e else "",
            f"{_x(e.speedup)} {_ci(e)}".strip() if e else "",
            _x(entry.best),
        )
        table.add_row(*(Text(cell) for cell in cells))
    console.print(table)
    ranked = sorted((e for e in search.values() if e.fitness is not None), key=lambda e: (-(e.fitness or 0), e.id))
    if not ranked:
        console.print("no verified candidate")
        return
    best = ranked[0].candidate_id
    tree = Tree(_label(rows[best], search.get(best), confirm.get(best)))
    _lineage(tree, rows[best], rows, search, {best})
    console.print(Text("lineage of the best candidate (each program's parents below it):"))
    console.print(tree)


def _x(value: float | None) -> str:
    return f"{value:.3f}x" if value is not None else ""


def _ci(e: EvaluationRow | None) -> str:
    return f"[{e.ci_low:.3f}, {e.ci_high:.3f}]" if e and e.ci_low is not None and e.ci_high is not None else ""


def _label(c: CandidateRow, e: EvaluationRow | None, confirmed: EvaluationRow | None = None) -> Text:
    who = c.model or c.proposer
    text = f"candidate {c.id}: {c.stage} (step {c.step}.{c.attempt}, {who})"
    if e is not None:
        text += f" {e.verdict} {_x(e.speedup)} {_ci(e)}".rstrip()
    if confirmed is not None:
        text += f"; confirmed: {confirmed.verdict} {_x(confirmed.speedup)} {_ci(confirmed)}".rstrip()
    if c.description:
        text += f" - {c.description[:80]}"
    return Text(text)


def _lineage(
    node: Tree, c: CandidateRow, rows: dict[int, CandidateRow], search: dict[int, EvaluationRow], seen: set[int]
) -> None:
    for parent_id in c.parent_ids:
        parent = rows.get(parent_id)
        if parent is None or parent_id in seen:
            continue
        seen.add(parent_id)
        _lineage(node.add(_label(parent, search.get(parent_id))), parent, rows, search, seen)
