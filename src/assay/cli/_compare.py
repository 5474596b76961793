"""`assay compare A.jsonl [B.jsonl]`: what changed between two bench runs, or between candidates of one run."""

from __future__ import annotations

import json
from pathlib import Path

import click

from assay.cli._common import one_line_errors
from assay.cli._results import read_rows
from assay.errors import UserError
from assay.evaluate import EvalResult
from assay.report import Comparison, compare_candidates, compare_runs, machine_of, safe_text, same_machine

OUTCOMES = (
    *("faster", "slower", "not significant", "verdict changed", "not verified"),
    *("only in baseline", "only in changed"),
)


def _results(path: Path) -> list[EvalResult]:
    if not path.is_file():
        raise UserError(f"results file not found: {path}")
    try:
        rows = read_rows(path)
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror}") from None
    results = [r.row for r in rows if isinstance(r.row, EvalResult)]
    if not results:
        raise UserError(f"{path} holds no result (write one with `assay bench ... --out {path}`)")
    return results


def _side(r: EvalResult | None) -> str:
    if r is None:
        return "-"
    if r.ok and r.speedup is not None and r.speedup_ci is not None:
        return f"{r.speedup:.3f}x [{r.speedup_ci[0]:.3f}, {r.speedup_ci[1]:.3f}]"
    return str(r.verdict)


def comparison_line(c: Comparison, by_candidate: bool) -> str:
    """`task: 1.412x [1.398, 1.427] -> 1.620x [1.600, 1.640]: 1.147x faster [1.120, 1.175]` (plain, sanitised)."""
    name = c.task
    if by_candidate and c.baseline is not None and c.changed is not None:
        name += f" ({c.baseline.candidate} -> {c.changed.candidate})"
    text = f"{name}: {_side(c.baseline)} -> {_side(c.changed)}: "
    if c.ratio is not None and c.ratio_ci is not None:
        ratio = f"ratio {c.ratio:.3f} [{c.ratio_ci[0]:.3f}, {c.ratio_ci[1]:.3f}]"
        if c.outcome == "not significant":
            text += f"not significant ({ratio})"
        else:
            text += f"{max(c.ratio, 1 / c.ratio):.3f}x {c.outcome} ({ratio})"
    else:
        text += c.outcome
    if _other_machines(c):
        assert c.baseline is not None and c.changed is not None
        text += f" [measured on different machines: {_where(c.baseline)} and {_where(c.changed)}]"
    return safe_text(text, markup=False, one_line=True)


def _other_machines(c: Comparison) -> bool:
    return c.baseline is not None and c.changed is not None and not same_machine(c.baseline, c.changed)


def _where(r: EvalResult) -> str:
    m = machine_of(r)
    return f"{m.name}, {m.cpu_model}" if m.cpu_model else m.name


@click.command("compare")
@click.argument("baseline", type=click.Path(path_type=Path))
@click.argument("changed", required=False, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object with every comparison.")
@one_line_errors
def compare_command(baseline: Path, changed: Path | None, as_json: bool) -> None:
    """Compare the results of two `assay bench --out` runs, task by task (BASELINE against CHANGED).

    With one file, compare the candidates of each task against its first candidate. A difference is
    significant when the 95% interval of the ratio of the two speedups excludes 1 (each speedup is against
    the reference measured in the same evaluation, so the machine's drift between runs cancels). A pair
    measured on two machines (Ray nodes) says so: its ratio compares the machines as well. Exit status 0, or
    2 when a file cannot be read.
    """
    before = _results(baseline)
    comparisons = compare_runs(before, _results(changed)) if changed else compare_candidates(before)
    if not comparisons:
        raise UserError(f"no task in {baseline} has two candidates to compare")
    counts = {o: sum(c.outcome == o for c in comparisons) for o in OUTCOMES}
    if as_json:
        items = [{**c.as_dict(), "same_machine": not _other_machines(c)} for c in comparisons]
        click.echo(json.dumps({"version": 1, "comparisons": items, "counts": counts}))
        return
    for c in comparisons:
        click.echo(comparison_line(c, by_candidate=changed is None))
    click.echo("; ".join(f"{n} {o}" for o, n in counts.items() if n))
