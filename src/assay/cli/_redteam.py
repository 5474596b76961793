"""`assay redteam [CORPUS]`: every known reward hack, and honest controls, through the real evaluator."""

from __future__ import annotations

import os
import secrets
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from assay.cli._common import one_line_errors
from assay.errors import ConfigError
from assay.redteam import (
    SECRET_VAR,
    RedteamConfig,
    RedteamReport,
    RedteamRow,
    fast_eval_config,
    load_corpus,
    run_corpus,
    select,
    uncovered,
)
from assay.report import make_console, safe_text, verdict_text


def _reexec_with_secret() -> None:
    """Restart once with the secret in the environment this process starts with.

    A variable set later lives only on the heap; one present at exec also sits in the initial environment
    block that /proc/<pid>/environ shows, which is where the secret-reading attacks look first.
    """
    if SECRET_VAR in os.environ or Path(sys.argv[0]).name not in ("assay", "__main__.py"):
        return
    env = dict(os.environ, **{SECRET_VAR: secrets.token_hex(16)})
    try:
        os.execve(sys.executable, [sys.executable, *sys.orig_argv[1:]], env)
    except OSError:
        return  # run with the secret set in-process only


def _progress(console: Console) -> Callable[[RedteamRow], None]:
    def show(row: RedteamRow) -> None:
        mark = "[green]pass[/]" if row.passed else "[bold red]FAIL[/]"
        console.print(f"{mark} {safe_text(row.file)} -> {verdict_text(row.verdict)} ({row.elapsed_s:.1f} s)")

    return show


def _table(rows: list[RedteamRow], naive: bool) -> Table:
    table = Table(show_lines=False, header_style="bold")
    for name in ("file", "attack / variant", "expected", "actual", "caught by", "side effects"):
        table.add_column(name, overflow="fold")
    if naive:
        table.add_column("naive harness", overflow="fold")
    table.add_column("result")
    for row in rows:
        actual = verdict_text(row.verdict) + safe_text(f" [{', '.join(row.flags)}]" if row.flags else "")
        if row.speedup is not None:
            actual += f" {row.speedup:.2f}x"
        cells = [
            safe_text(row.file),
            f"{safe_text(row.attack)}\n[dim]{safe_text(row.variant)}[/]",
            safe_text(row.expected),
            actual,
            safe_text(row.caught),
            safe_text(row.side_effects),
        ]
        if naive:
            cells.append(safe_text(row.naive) if row.naive else "[dim]-[/]")
        cells.append("[green]pass[/]" if row.passed else "[bold red]FAIL[/]\n" + safe_text("; ".join(row.reasons)))
        table.add_row(*cells)
    return table


def _cell(text: str) -> str:
    return safe_text(text, markup=False, one_line=True).replace("|", "\\|")


def markdown(report: RedteamReport, naive: bool) -> str:
    """The report as a Markdown table, for the docs (the README links to the one kept in redteam/)."""
    head = ["file", "attack / variant", "expected", "actual", "how it was caught", "side effects"]
    head += ["naive harness"] if naive else []
    lines = ["| " + " | ".join([*head, "result"]) + " |", "|" + "---|" * (len(head) + 1)]
    for row in report.rows:
        actual = row.verdict + (f" [{', '.join(row.flags)}]" if row.flags else "")
        actual += f" {row.speedup:.2f}x" if row.speedup is not None else ""
        cells = [row.file, f"{row.attack} / {row.variant}", row.expected, actual, row.caught[:160], row.side_effects]
        cells += [row.naive or "-"] if naive else []
        cells.append("pass" if row.passed else "FAIL: " + "; ".join(row.reasons))
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    lines.append("")
    lines.append(
        f"Isolation: {', '.join(report.isolation) or 'unknown'}. {report.passed} passed, {report.failed} failed "
        f"in {report.elapsed_s:.0f} s."
    )
    lines += [f"Not in the corpus: `{ident}` ({why})." for ident, why in report.uncovered.items()]
    return "\n".join(lines)


@click.command("redteam")
@click.argument("corpus", default="redteam", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON report on stdout (progress goes to stderr).")
@click.option(
    "--only",
    metavar="PATTERN",
    help="Run only files whose path, stem or attack id matches one of these comma-separated globs or substrings.",
)
@click.option("--markdown", "as_markdown", is_flag=True, help="Print the table as Markdown (for the docs).")
@click.option("--naive", is_flag=True, help="Also run in-process attacks through the corpus's naive harness.")
@click.option("--timeout", type=float, default=240.0, show_default=True, help="Wall-time bound per evaluation.")
@one_line_errors
def redteam(corpus: Path, as_json: bool, as_markdown: bool, only: str | None, naive: bool, timeout: float) -> None:
    """Run the red-team CORPUS (default: ./redteam) through the real sandboxed evaluator.

    Every attack must be caught the way its header says, every control verified, and no attack may leave a
    side effect (files, processes, network, leaked secrets). Exit status: 0 when every row passes, 1 otherwise,
    2 when the run could not start.
    """
    if timeout <= 0:
        raise ConfigError("--timeout must be positive")
    _reexec_with_secret()
    entries = select(load_corpus(corpus), only)
    if not entries:
        raise ConfigError(f"--only {only!r} matches no file in {corpus}")
    err = make_console(stderr=True)
    eval_config = replace(fast_eval_config(), timeout_s=timeout)
    started = time.monotonic()
    rows = run_corpus(corpus, RedteamConfig(eval_config=eval_config, only=only, naive=naive, progress=_progress(err)))
    failed = sum(not r.passed for r in rows)
    levels = sorted({r.isolation for r in rows if r.isolation})
    report = RedteamReport(
        corpus=str(corpus),
        isolation=levels,
        rows=rows,
        passed=len(rows) - failed,
        failed=failed,
        uncovered=uncovered(load_corpus(corpus)),
        elapsed_s=round(time.monotonic() - started, 1),
    )
    if as_json:
        click.echo(report.model_dump_json())
    elif as_markdown:
        click.echo(markdown(report, naive))
    else:
        out = make_console()
        out.print(_table(rows, naive))
        out.print(f"[bold]isolation:[/] {safe_text(', '.join(levels) or 'unknown')}")
        for ident, why in report.uncovered.items():
            out.print(f"[dim]not in the corpus: {safe_text(ident)} ({safe_text(why)})[/]")
        colour = "green" if not failed else "red"
        out.print(f"[bold {colour}]{report.passed} passed, {failed} failed[/] in {report.elapsed_s:.0f} s")
    sys.exit(1 if failed else 0)
