"""Readable summaries of results for a terminal (stdout). Machine output is `--json`."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from assay.evaluate import EvalResult

_COLOURS = {
    "verified": "green",
    "incorrect": "red",
    "flagged": "magenta",
    "crashed": "red",
    "timeout": "yellow",
    "limit": "yellow",
}


def verdict_text(verdict: str) -> str:
    return f"[bold {_COLOURS.get(verdict, 'white')}]{verdict}[/]"


def isolation_text(isolation: dict[str, object]) -> str:
    level = isolation.get("level", "unknown")
    layers = list(isolation.get("layers") or [])  # type: ignore[call-overload]
    gaps = list(isolation.get("gaps") or [])  # type: ignore[call-overload]
    text = f"{level} ({', '.join(map(str, layers))})" if layers else str(level)
    if gaps:
        text += f"; gaps: {'; '.join(map(str, gaps))}"
    return text


def render_result(result: EvalResult, console: Console) -> None:
    console.print(f"[bold]assay eval[/] {result.task} <- {result.candidate}: {verdict_text(str(result.verdict))}")
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="dim")
    grid.add_column()
    if result.speedup is not None and result.speedup_ci is not None:
        low, high = result.speedup_ci
        grid.add_row(
            "speedup",
            f"[bold]{result.speedup:.3f}x[/]  95% CI [{low:.3f}, {high:.3f}]  ({result.comparison})",
        )
    if result.reference_ms is not None and result.candidate_ms is not None:
        grid.add_row(
            "time per call",
            f"reference {result.reference_ms:.4f} ms   candidate {result.candidate_ms:.4f} ms",
        )
    if result.timing is not None:
        rounds = len(result.timing.reference_ms)
        grid.add_row(
            "measured",
            f"{rounds} interleaved rounds x {result.timing.calls_per_sample} call(s), "
            f"{result.calls_checked} outputs checked element by element",
        )
    if result.roofline is not None:
        r = result.roofline
        grid.add_row(
            "roofline",
            f"floor {r.floor_ms:.4f} ms; reference at {r.reference_fraction or 0:.1%}, "
            f"candidate at {r.candidate_fraction or 0:.1%} of the machine's peak",
        )
    if result.message:
        grid.add_row("message", result.message)
    for flag in result.flags:
        grid.add_row(f"flag {flag.id}", flag.evidence)
    for warning in result.warnings:
        grid.add_row("[yellow]warning[/]", warning)
    grid.add_row("isolation", isolation_text(result.isolation))
    if result.sizes:
        grid.add_row("sizes", ", ".join(f"{k}={v}" for k, v in result.sizes.items()))
    if result.scan:
        grid.add_row("static scan", "; ".join(result.scan[:6]))
    grid.add_row("elapsed", f"{result.elapsed_s:.2f} s")
    console.print(grid)
