"""`assay bench SUITE CANDIDATES_DIR`: evaluate many candidates; a table, fast_p and the geometric mean.

As each evaluation finishes, one plain line (`result_line`) goes out at once: to stdout with the default
table format, so that `assay bench ... > log` shows progress in the log; to stderr with json, csv or
markdown, which keep stdout for the report. On a terminal a progress bar runs on stderr as well. An
evaluation that cannot run (an infrastructure error, anything unexpected) becomes an error row in the
report and the results file, and the run goes on with a fresh evaluator.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import click
from rich.progress import Progress
from rich.table import Table

from assay.cli._common import one_line_errors
from assay.cli._eval import isolation_option, make_config, timeout_option, warn_weak_isolation
from assay.cli._results import ResultsFile, Row, csv_report, json_report, markdown_report, result_key
from assay.errors import UserError
from assay.evaluate import EvalConfig, EvalError, EvalResult, Evaluator
from assay.report import (
    machines_note,
    make_console,
    note_text,
    result_line,
    safe_text,
    speed_text,
    summarize,
    verdict_text,
)
from assay.tasks import Task, load_suite
from assay.vet import ShrinkResult, shrink_report

FORMATS = ("table", "json", "markdown", "csv")
Show = Callable[[str], None]


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


def row_line(row: Row) -> str:
    """One plain line per row: `result_line` for a verdict, the error in words for an evaluation that failed."""
    if isinstance(row, EvalResult):
        return result_line(row)
    where = safe_text(f"{row.task} <- {row.candidate}", markup=False, one_line=True)
    return f"{'error':<9} {where}  {safe_text(f'{row.error}: {row.message}', markup=False, one_line=True)}"


class _Run:
    """One bench run: a warm evaluator (a fresh one after a failure), one shrink per task, the results file."""

    def __init__(self, config: EvalConfig, settings: dict[str, object], shrink: bool, out: Path | None) -> None:
        self.config, self.settings, self.shrink = config, settings, shrink
        self.results = ResultsFile(out) if out is not None else None
        self.shrunk: dict[str, ShrinkResult | None] = {}  # one shrink per task, shared by its candidates
        self.evaluator: Evaluator | None = None

    def key(self, task: Task, path: Path) -> str:
        try:
            return result_key(task, path, self.settings)
        except OSError:
            return ""  # unreadable: evaluated (and reported as an error) every time

    def cached(self, key: str) -> EvalResult | None:
        return self.results.verdicts.get(key) if self.results is not None and key else None

    def task_config(self, task: Task) -> tuple[EvalConfig, ShrinkResult | None]:
        """The options for this task's candidates: its sizes shrunk to fit (once per task) with `--shrink`."""
        if task.name not in self.shrunk:
            self.shrunk[task.name] = shrink_report(task, time_budget_s=0.1) if self.shrink else None
        shrunk = self.shrunk[task.name]
        return replace(self.config, sizes=shrunk.sizes if shrunk else {}), shrunk

    def record(self, key: str, row: Row, shrunk: ShrinkResult | None = None) -> Row:
        """The row as the report shows it and the results file keeps it (a key's verdict is written once)."""
        if isinstance(row, EvalResult) and shrunk is not None and shrunk.moves():
            row.warnings.append("sizes shrunk to fit this machine: " + ", ".join(shrunk.moves()))
        return self.results.record(key, row) if self.results is not None else row

    def one(self, task: Task, path: Path) -> tuple[Row, bool]:
        """The row for one pair, and whether it came from the results file."""
        key = self.key(task, path)
        cached = self.cached(key)
        if cached is not None:
            return cached, True
        row: Row
        shrunk = None
        try:
            config, shrunk = self.task_config(task)
            self.evaluator = self.evaluator or Evaluator()
            row = self.evaluator.evaluate(task, path, config)
        except Exception as exc:  # one evaluation's failure is a row, never the end of the run
            row = error_row(exc, task, path)
            self.close()  # its zygote may be what failed
        return self.record(key, row, shrunk), False

    def close(self) -> None:
        if self.evaluator is not None:
            self.evaluator.close()
            self.evaluator = None


def error_row(exc: Exception, task: Task, path: Path) -> EvalError:
    message = safe_text(exc, markup=False, one_line=True) or type(exc).__name__
    return EvalError(error=type(exc).__name__, message=message, task=task.name, candidate=str(path))


@contextmanager
def _line_printer(line_stream_is_stdout: bool, total: int) -> Iterator[tuple[Show, Callable[[], None]]]:
    """(print one result line, advance the bar): lines above a progress bar on a terminal, plain lines elsewhere."""
    err = make_console(stderr=True)
    lines = make_console(stderr=not line_stream_is_stdout)
    if not err.is_terminal:
        yield (lambda text: lines.print(text, markup=False)), (lambda: None)
        return
    with Progress(console=err, transient=True, redirect_stdout=False, redirect_stderr=False) as progress:
        bar = progress.add_task("evaluating", total=total)
        # On a terminal both streams are the screen: lines go above the bar. Redirected, they go to their stream.
        target = err if lines.is_terminal else lines
        yield (lambda text: target.print(text, markup=False)), (lambda: progress.advance(bar))


@click.command("bench")
@click.argument("suite", type=click.Path(path_type=Path))
@click.argument("candidates_dir", type=click.Path(path_type=Path))
@click.option("--pattern", default="*.py", show_default=True, help="Candidate files to take from each <task>/ folder.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True, help="Report format.")
@click.option("--json", "as_json", is_flag=True, help="Same as --format json: one JSON object on stdout.")
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    help="Append each result to this JSON-lines file as it finishes; a rerun with the same file skips every "
    "pair whose task, candidate and options are unchanged.",
)
@click.option("--shrink", is_flag=True, help="Shrink large KernelBench-style problems' sizes to fit this machine.")
@click.option(
    "--ray",
    "ray_address",
    metavar="ADDRESS",
    help="Evaluate on a Ray cluster (auto, or the head's HOST:PORT), one evaluation per timing CPU its nodes declare.",
)
@timeout_option
@isolation_option
@one_line_errors
def bench_command(
    suite: Path,
    candidates_dir: Path,
    pattern: str,
    fmt: str,
    as_json: bool,
    out: Path | None,
    shrink: bool,
    ray_address: str | None,
    timeout: float,
    isolation: str | None,
) -> None:
    """Evaluate every candidate in CANDIDATES_DIR against its task in SUITE.

    Exit status: 0 when every candidate is verified, 1 when any is not, 2 when any evaluation could not run
    (its row says why) or the run could not start.
    """
    fmt = "json" if as_json else fmt
    tasks = load_suite(suite)
    pairs = find_candidates(tasks, candidates_dir, pattern)
    config = make_config(timeout, isolation, {})
    run = _Run(config, {"timeout": timeout, "isolation": isolation, "shrink": shrink, "device": "cpu"}, shrink, out)
    try:
        with _line_printer(fmt == "table", len(pairs)) as (show, advance):
            if ray_address is not None:
                from assay.cli._bench_ray import bench_on_cluster

                rows = bench_on_cluster(run, pairs, ray_address, show, advance)
            else:
                rows = [_local(run, task, path, show, advance) for task, path in pairs]
    finally:
        run.close()
    _report(fmt, [t.name for t in tasks], rows)
    errors = sum(isinstance(r, EvalError) for r in rows)
    sys.exit(2 if errors else 0 if all(isinstance(r, EvalResult) and r.ok for r in rows) else 1)


def _local(run: _Run, task: Task, path: Path, show: Show, advance: Callable[[], None]) -> Row:
    row, cached = run.one(task, path)
    show(row_line(row) + ("  [from the results file]" if cached else ""))
    if isinstance(row, EvalResult) and not cached:
        warn_weak_isolation(row)
    advance()
    return row


def _summary_line(summary: dict[str, object], rows: list[Row]) -> str:
    fast = summary["fast_p"]
    assert isinstance(fast, dict)
    figures = "  ".join(f"fast_{p} = {v:.0%}" for p, v in fast.items())
    geo = summary["geomean_speedup"]
    verified = sum(isinstance(r, EvalResult) and r.ok for r in rows)
    errors = sum(isinstance(r, EvalError) for r in rows)
    line = f"{summary['verified']}/{summary['tasks']} tasks verified ({verified}/{len(rows)} candidates)   {figures}"
    line += f"   geomean verified speedup = {geo:.3f}x" if isinstance(geo, float) else ""
    return line + (f"   {errors} could not be evaluated" if errors else "")


def _report(fmt: str, task_names: list[str], rows: list[Row]) -> None:
    results = [r for r in rows if isinstance(r, EvalResult)]
    summary = summarize(task_names, results).as_dict()
    line = _summary_line(summary, rows)
    note = machines_note(results)
    if note is not None:  # results from several Ray nodes: the figures mix machines, and the report says so
        summary["machines_note"] = note
        line = f"{note}\n{line}"
    if fmt == "json":
        click.echo(json_report(rows, summary))
    elif fmt == "csv":
        click.echo(csv_report(rows), nl=False)
    elif fmt == "markdown":
        click.echo(markdown_report(rows, line), nl=False)
    else:
        console = make_console()
        if console.is_terminal:
            console.print(_table(rows))
        console.print(line, markup=False)


def _table(rows: list[Row]) -> Table:
    table = Table(title="assay bench")
    for column in ("task", "candidate", "verdict", "speedup [95% CI]", "note"):
        table.add_column(column, overflow="fold")
    for r in rows:
        if isinstance(r, EvalError):
            cells = [r.task, r.candidate, "[bold red]error[/]", "", safe_text(f"{r.error}: {r.message}")]
            table.add_row(*[safe_text(c) for c in cells[:2]], *cells[2:])
            continue
        note = (r.comparison or "") if r.ok else note_text(r)
        table.add_row(
            safe_text(r.task), safe_text(r.candidate), verdict_text(str(r.verdict)), speed_text(r), safe_text(note)
        )
    return table
