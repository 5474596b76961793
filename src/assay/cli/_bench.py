"""`assay bench SUITE CANDIDATES_DIR`: evaluate many candidates; a table, fast_p and the geometric mean."""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path

import click
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from assay.cli._common import one_line_errors
from assay.cli._eval import isolation_option, make_config, timeout_option
from assay.cli._render import verdict_text
from assay.errors import UserError
from assay.evaluate import EvalResult, Evaluator
from assay.report import summarize
from assay.tasks import Task, load_suite, shrink_sizes


def find_candidates(tasks: list[Task], folder: Path, pattern: str = "*.py") -> list[tuple[Task, Path]]:
    """`<folder>/<task>.py`, and the files matching `pattern` in `<folder>/<task>/`, for each task.

    Raises:
        UserError: the folder is missing or nothing in it matches a task.
    """
    if not folder.is_dir():
        raise UserError(f"candidates folder not found: {folder}")
    pairs: list[tuple[Task, Path]] = []
    for task in tasks:
        single = folder / f"{task.name}.py"
        if single.is_file():
            pairs.append((task, single))
        if (folder / task.name).is_dir():
            found = sorted((folder / task.name).glob(pattern))
            pairs.extend((task, p) for p in found if p.name != "task.py")
    if not pairs:
        raise UserError(
            f"no candidate in {folder} matches a task of the suite (expected <task>.py or <task>/{pattern})"
        )
    return pairs


def _load_done(out: Path | None) -> dict[tuple[str, str], EvalResult]:
    if out is None or not out.exists():
        return {}
    done: dict[tuple[str, str], EvalResult] = {}
    for line in out.read_text().splitlines():
        try:
            r = EvalResult.model_validate_json(line)
        except ValueError:
            continue  # a line cut short by a kill: that pair is simply evaluated again
        done[(r.task, r.candidate)] = r
    return done


@click.command("bench")
@click.argument("suite", type=click.Path(path_type=Path))
@click.argument("candidates_dir", type=click.Path(path_type=Path))
@click.option("--pattern", default="*.py", show_default=True, help="Candidate files to take from each <task>/ folder.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object with every result and the summary.")
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    help="Append each result to this JSON-lines file as it "
    "finishes; a rerun with the same file skips what is already there.",
)
@click.option("--shrink", is_flag=True, help="Shrink large KernelBench-style problems' sizes to fit this machine.")
@timeout_option
@isolation_option
@one_line_errors
def bench_command(
    suite: Path,
    candidates_dir: Path,
    pattern: str,
    as_json: bool,
    out: Path | None,
    shrink: bool,
    timeout: float,
    isolation: str | None,
) -> None:
    """Evaluate every candidate in CANDIDATES_DIR against its task in SUITE."""
    tasks = load_suite(suite)
    pairs = find_candidates(tasks, candidates_dir, pattern)
    config = make_config(timeout, isolation, {})
    done = _load_done(out)
    results: list[EvalResult] = []
    shrunk: dict[str, dict[str, int]] = {}  # one shrink per task, shared by its candidates
    console = Console(stderr=True)
    with Evaluator() as evaluator, Progress(console=console, transient=True) as progress:
        bar = progress.add_task("evaluating", total=len(pairs))
        for task, path in pairs:
            progress.update(bar, description=f"{task.name} <- {path.name}")
            result = done.get((task.name, str(path)))
            if result is None:
                sizes = shrunk.setdefault(task.name, shrink_sizes(task, time_budget_s=0.1) if shrink else {})
                result = evaluator.evaluate(task, path, replace(config, sizes=sizes))
                if out is not None:
                    with out.open("a") as f:
                        f.write(result.model_dump_json() + "\n")
            results.append(result)
            progress.advance(bar)
    summary = summarize([t.name for t in tasks], results)
    if as_json:
        click.echo(json.dumps({"results": [r.model_dump() for r in results], "summary": summary.as_dict()}))
    else:
        _print_table(results, summary.as_dict())
    sys.exit(0 if summary.verified == len(results) else 1)


def _print_table(results: list[EvalResult], summary: dict[str, object]) -> None:
    table = Table(title="assay bench")
    for column in ("task", "candidate", "verdict", "speedup", "95% CI", "note"):
        table.add_column(column)
    for r in results:
        ci = f"[{r.speedup_ci[0]:.3f}, {r.speedup_ci[1]:.3f}]" if r.speedup_ci else ""
        speed = f"{r.speedup:.3f}x" if r.speedup is not None else ""
        note = r.comparison if r.ok else (r.message[:70] or ", ".join(f.id for f in r.flags))
        table.add_row(r.task, Path(r.candidate).name, verdict_text(str(r.verdict)), speed, ci, note or "")
    console = Console()
    console.print(table)
    fast = summary["fast_p"]
    assert isinstance(fast, dict)
    figures = "  ".join(f"fast_{p} = {v:.0%}" for p, v in fast.items())
    geo = summary["geomean_speedup"]
    console.print(
        f"{summary['verified']}/{summary['tasks']} tasks verified   {figures}   geomean verified speedup = {geo:.3f}x"
        if isinstance(geo, float)
        else f"{summary['verified']}/{summary['tasks']} tasks verified   {figures}"
    )
