"""`assay report RUN|ENV|BENCH`: a reviewed write-up (HTML page and Markdown twin) of a run, an environment or a
bench results file."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from assay.cli._common import one_line_errors
from assay.errors import UserError
from assay.report import safe_text
from assay.store import DEFAULT_RUNS_DIR


def default_out(kind: str, path: Path) -> Path:
    """Beside what is reported: a run's folder, an environment's state, the results file's folder."""
    if kind == "run":
        return path.parent / "report"
    if kind == "env":
        return path / "report"
    return path.with_name(f"{path.stem}-report")


@click.command("report")
@click.argument("source", metavar="RUN|ENV|BENCH")
@click.option("--out", type=click.Path(path_type=Path), help="Folder for the report (default: beside the source).")
@click.option("--check", is_flag=True, help="Exit 1 when any claim of the write-up is not traced to a stored fact.")
@click.option("--model", metavar="PROVIDER:MODEL[@URL]", help="Have this LLM write the narrative from the facts.")
@click.option(
    "--narrative",
    "narrative_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Use this Markdown as the narrative (reviewed like any other).",
)
@click.option("--run-dir", type=click.Path(path_type=Path), default=DEFAULT_RUNS_DIR, show_default=True)
@one_line_errors
def report_command(
    source: str, out: Path | None, check: bool, model: str | None, narrative_file: Path | None, run_dir: Path
) -> None:
    """Write a report of RUN (an optimizer run's id or run.sqlite), ENV (an environment's state directory) or BENCH
    (a results .jsonl of `assay bench --out`): report.html, its Markdown twin, the facts and the review.

    Every sentence is checked against the stored facts; one that cannot be traced is marked in the page, and with
    --check makes the exit status 1. Without --model the narrative is written by a template from the facts.
    """
    from assay.report import build_report, source_kind, write_report

    if model is not None and narrative_file is not None:
        raise UserError("give --model or --narrative, not both")
    narrative = None
    if narrative_file is not None:
        try:
            narrative = narrative_file.read_text(errors="replace")
        except OSError as exc:
            raise UserError(f"cannot read {narrative_file}: {exc.strerror}") from None
    kind, path = source_kind(source, run_dir)
    report = build_report(
        source, runs_dir=run_dir, model=model, narrative=narrative, narrative_name=str(narrative_file or "")
    )
    folder = out or default_out(kind, path)
    files = write_report(report, folder)
    claims, findings = len(report.checked), report.findings
    click.echo(f"assay report: {files[0]}  (and report.md, facts.json, review.json in {folder})")
    if not findings:
        click.echo(f"review: every one of {claims} claims is traced to the stored facts")
        return
    bad = sum(not c.ok for c in report.checked)
    click.echo(f"review: {bad} of {claims} claims are not traced to the stored facts:", err=True)
    for f in findings:
        click.echo("  " + safe_text(f.line(), markup=False, one_line=True), err=True)
    if check:
        sys.exit(1)
