"""`assay tasks check [SUITE]` and `assay tasks list [SUITE]`."""

from __future__ import annotations

import sys

import click
from rich.table import Table

from assay.cli._common import one_line_errors
from assay.errors import ConfigError
from assay.report import make_console, safe_text
from assay.tasks import load_suite
from assay.vet import CheckConfig, CheckResult, TaskSummary, check_suite, summarize_suite

# Default suite: the repository's tasks/ folder, relative to where the command runs.
DEFAULT_SUITE = "tasks"


@click.group("tasks")
def tasks() -> None:
    """Check and list task suites (a folder of task folders and KernelBench files)."""


def _config(max_call: float, min_call_ms: float, solutions: bool = True) -> CheckConfig:
    if max_call <= 0 or min_call_ms < 0:
        raise ConfigError("--max-call must be positive and --min-call-ms non-negative")
    return CheckConfig(max_call_s=max_call, min_call_s=min_call_ms / 1e3, evaluate_solutions=solutions)


def _line(result: CheckResult) -> str:
    sizes = f"; sizes {', '.join(f'{k}={v}' for k, v in result.sizes.items())}" if result.sizes else ""
    if result.ok:
        notes = "".join(f"; {n}" for n in result.notes if not n.startswith("shrunk:"))
        return (
            f"[green]PASS[/]   {safe_text(result.task, one_line=True)}  ({safe_text(result.message + sizes + notes)})"
        )
    return (
        f"[red]REJECT[/] {safe_text(result.task, one_line=True)}  {safe_text(result.reason)}: "
        f"{safe_text(result.message + sizes)}"
    )


@tasks.command("check")
@click.argument("suite", default=DEFAULT_SUITE, required=False)
@click.option("--max-call", type=float, default=2.0, show_default=True, help="Longest reference call, seconds.")
@click.option("--min-call-ms", type=float, default=1.0, show_default=True, help="Shortest reference call, ms.")
@click.option("--no-solutions", is_flag=True, help="Do not evaluate start.py and reference.py.")
@one_line_errors
def check(suite: str, max_call: float, min_call_ms: float, no_solutions: bool) -> None:
    """Check every task of SUITE (default: ./tasks); one line per task, PASS or REJECT with its reason.

    A task is rejected when it does not load, is not deterministic, lets a trivial answer (zeros, a
    constant, row means, the input, an uninitialized buffer, a bfloat16 computation) pass its tolerance,
    ignores its inputs or weights, takes under 1 ms or over the limit per call, or when start.py or
    reference.py does not verify. KernelBench files over the limits are shrunk first. Exit status 1 if any
    task is rejected.
    """
    loaded = load_suite(suite)
    console = make_console()
    results = check_suite(loaded, _config(max_call, min_call_ms, not no_solutions), lambda r: console.print(_line(r)))
    rejected = sum(not r.ok for r in results)
    console.print(f"{len(results) - rejected} passed, {rejected} rejected")
    sys.exit(1 if rejected else 0)


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.3g}"


def _fraction(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def _sizes(row: TaskSummary) -> str:
    return " ".join(f"{k}={row.sizes[k]}←{v}" if k in row.sizes else f"{k}={v}" for k, v in row.constants.items())


@tasks.command("list")
@click.argument("suite", default=DEFAULT_SUITE, required=False)
@click.option("--no-time", is_flag=True, help="Only read the tasks; run nothing.")
@click.option("--start", "time_start", is_flag=True, help="Also time start.py through the evaluator (slow).")
@one_line_errors
def list_(suite: str, no_time: bool, time_start: bool) -> None:
    """List the tasks of SUITE (default: ./tasks) with sizes, reference time and roofline fraction.

    Reference times are single-threaded, from a trusted subprocess that runs only task code; KernelBench
    files over the limits are shrunk first (shown as new←old). The roofline columns need a cached machine
    profile (`assay machine`) and a [work] table in task.toml. start.py is never run outside the evaluator:
    with --start each one is evaluated, and its verified time is shown.
    """
    loaded = load_suite(suite)
    rows = summarize_suite(loaded, time_reference=not no_time, time_start=time_start)
    table = Table()
    table.add_column("task", no_wrap=True)
    table.add_column("level", justify="right")
    table.add_column("description", ratio=3, min_width=20)
    table.add_column("sizes", ratio=2, min_width=12, overflow="fold")
    table.add_column("reference ms", justify="right")
    table.add_column("roofline", justify="right")
    if time_start:
        table.add_column("start ms", justify="right")
        table.add_column("start roofline", justify="right")
    for row in rows:
        ref = _ms(row.reference_ms) if row.error is None else f"[red]{safe_text(row.error)}[/]"
        cells = [
            row.name,
            str(row.level or "-"),
            row.description,
            _sizes(row),
            ref,
            _fraction(row.reference_roofline),
        ]
        if time_start:
            cells += [_ms(row.start_ms), _fraction(row.start_roofline)]
        table.add_row(*[c if c is ref else safe_text(c) for c in cells])
    make_console().print(table)


list_.name = "list"
