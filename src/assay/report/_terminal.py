"""Results for people: the one console factory, the `assay eval` view, and the one-line form for logs.

Every string that came from a candidate, a task file or a results file goes through `safe_text` before it
reaches rich; only the renderer's own words carry markup. Column 0 of every line belongs to the renderer:
candidate text only ever appears after a label or a verdict, so it cannot print a verdict line of its own.
"""

from __future__ import annotations

import sys
from typing import IO

from rich.console import Console
from rich.table import Table

from assay.evaluate import EvalResult
from assay.report._text import safe_text

_COLOURS = {
    "verified": "green",
    "incorrect": "red",
    "flagged": "magenta",
    "crashed": "red",
    "timeout": "yellow",
    "limit": "yellow",
}
# Off a terminal nothing is cut: a log line is as long as its content (rich's default there is 80 columns).
_LOG_WIDTH = 100_000


def make_console(*, stderr: bool = False, file: IO[str] | None = None) -> Console:
    """The console every command prints through.

    On a terminal: colours and the terminal's width. Anywhere else (a log file, a pipe, CI): no colours, no
    cursor movement and no width limit, so that names are never cut to "l1_log_soft…". Emoji codes are never
    replaced (`:white_check_mark:` in a message stays text) and nothing is highlighted.
    """
    stream = file if file is not None else (sys.stderr if stderr else sys.stdout)
    terminal = stream.isatty()
    return Console(
        file=stream,
        emoji=False,
        highlight=False,
        soft_wrap=not terminal,
        width=None if terminal else _LOG_WIDTH,
        no_color=not terminal,
        force_terminal=terminal,
    )


def verdict_text(verdict: str) -> str:
    """A verdict in its colour (markup)."""
    return f"[bold {_COLOURS.get(verdict, 'white')}]{safe_text(verdict)}[/]"


def isolation_text(isolation: dict[str, object]) -> str:
    """The isolation level, its layers and its gaps (markup-safe)."""
    level = isolation.get("level", "unknown")
    layers = isolation.get("layers") or []
    gaps = isolation.get("gaps") or []
    layers = layers if isinstance(layers, list) else [layers]
    gaps = gaps if isinstance(gaps, list) else [gaps]
    text = f"{level} ({', '.join(map(str, layers))})" if layers else str(level)
    if gaps:
        text += f"; gaps: {'; '.join(map(str, gaps))}"
    return safe_text(text)


def speed_text(result: EvalResult) -> str:
    """`1.412x [1.398, 1.427] faster`, or "" when nothing was measured (plain text)."""
    if result.speedup is None or result.speedup_ci is None:
        return ""
    low, high = result.speedup_ci
    return f"{result.speedup:.3f}x [{low:.3f}, {high:.3f}] {result.comparison or ''}".rstrip()


def note_text(result: EvalResult) -> str:
    """Why a result is not verified, on one line (plain text, sanitised): its message, else its flags."""
    return safe_text(result.message or ", ".join(f.id for f in result.flags), markup=False, one_line=True)


def result_line(result: EvalResult) -> str:
    """One plain line for a log: verdict, task, candidate in full, speed or the reason, time taken.

    The verdict comes first, so `grep '^verified'` finds what passed; every other field is sanitised and kept
    on the line.
    """
    task = safe_text(result.task, markup=False, one_line=True)
    candidate = safe_text(result.candidate, markup=False, one_line=True)
    detail = speed_text(result) if result.ok else note_text(result)
    return f"{result.verdict:<9} {task} <- {candidate}  {detail}  ({result.elapsed_s:.1f} s)"


def render_result(result: EvalResult, console: Console) -> None:
    """The `assay eval` view of one result."""
    task = safe_text(result.task, one_line=True)
    candidate = safe_text(result.candidate, one_line=True)
    console.print(f"[bold]assay eval[/] {task} <- {candidate}: {verdict_text(str(result.verdict))}")
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="dim")
    grid.add_column()
    if result.speedup is not None and result.speedup_ci is not None:
        low, high = result.speedup_ci
        grid.add_row(
            "speedup", f"[bold]{result.speedup:.3f}x[/]  95% CI [{low:.3f}, {high:.3f}]  ({result.comparison})"
        )
    if result.reference_ms is not None and result.candidate_ms is not None:
        grid.add_row(
            "time per call", f"reference {result.reference_ms:.4f} ms   candidate {result.candidate_ms:.4f} ms"
        )
    if result.timing is not None:
        twins = result.timing.twin_ratio
        grid.add_row(
            "measured",
            f"{len(result.timing.reference_ms)} interleaved rounds x {result.timing.calls_per_sample} call(s), "
            f"{result.calls_checked} outputs checked element by element"
            + (f"; the reference's two processes {abs(twins - 1):.1%} apart" if twins is not None else ""),
        )
    if result.roofline is not None:
        r = result.roofline
        grid.add_row(
            "roofline",
            f"floor {r.floor_ms:.4f} ms; reference at {r.reference_fraction or 0:.1%}, "
            f"candidate at {r.candidate_fraction or 0:.1%} of the machine's peak",
        )
    if result.message:
        grid.add_row("message", safe_text(result.message))
    for flag in result.flags:
        grid.add_row(f"flag {safe_text(flag.id, one_line=True)}", safe_text(flag.evidence))
    for warning in result.warnings:
        grid.add_row("[yellow]warning[/]", safe_text(warning))
    grid.add_row("isolation", isolation_text(result.isolation))
    if result.sizes:
        grid.add_row("sizes", safe_text(", ".join(f"{k}={v}" for k, v in result.sizes.items())))
    if result.scan:
        grid.add_row("static scan", safe_text("; ".join(result.scan[:6])))
    grid.add_row("elapsed", f"{result.elapsed_s:.2f} s")
    console.print(grid)
