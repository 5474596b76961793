"""The report of an `assay env` run: its settings and baselines, the score log, and the score over time."""

from __future__ import annotations

import math
import tempfile
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from assay.report._claims import prose
from assay.report._facts import FactBook, Facts
from assay.report._page import Figure, Page, Prose, Section, Table
from assay.report._plots import verdict_plot

if TYPE_CHECKING:
    from assay.env import Run

ENTRY_VERDICTS = ("verified", "incorrect", "flagged", "crashed", "timeout", "limit", "refused", "error")
LOG = "score_log.jsonl"


def env_facts(run: Run) -> Facts:
    book = FactBook("env", str(run.state))
    env = "env.json"
    book.add("env.task", run.task, "text", "the task", env)
    book.add("env.state", str(run.state), "text", "the state directory", env)
    book.add("env.profile", run.profile, "text", "the scorer's evaluation settings", env)
    book.add("env.time_budget_s", run.time_budget_s, "s", "the time budget", env)
    # The score's fixed points (DESIGN.md section 6), constants any sentence may use.
    book.add(
        "protocol.score_start", 0, "score", "the normalized score of the starting solution", "the score's definition"
    )
    book.add("protocol.score_reference", 1, "score", "the normalized score of the reference", "the score's definition")
    if run.baselines is not None:
        b = run.baselines
        book.add(
            "baselines.start_speedup", math.exp(b.start), "x", "the starting solution's speedup", "env.json baselines"
        )
        book.add(
            "baselines.reference_speedup", math.exp(b.reference), "x", "the reference's speedup", "env.json baselines"
        )
    entries = run.entries
    book.add("log.entries", len(entries), "count", "entries in the score log", LOG)
    counts = Counter[str](e.verdict for e in entries)
    for v in ENTRY_VERDICTS:
        book.add(f"log.verdict.{v}", counts.get(v, 0), "count", f"entries judged {v}", LOG)
    book.add("log.counted", sum(e.counts for e in entries), "count", "entries that count (verified, in time)", LOG)
    book.add("log.late", sum(e.late for e in entries), "count", "entries after the time budget", LOG)
    book.add("log.tampering", sum(bool(e.tampering) for e in entries), "count", "entries with tampering noted", LOG)
    book.add("log.problems", len(run.log_problems), "count", "log lines that are not entries in sequence", LOG)
    for e in entries:
        src = f"{LOG} entry {e.index}"
        book.add(f"entry.{e.index}.verdict", e.verdict, "text", f"entry {e.index}'s verdict", src, ENTRY_VERDICTS)
        book.add(f"entry.{e.index}.score", e.normalized_score, "score", f"entry {e.index}'s score", src)
        book.add(f"entry.{e.index}.speedup", e.speedup, "x", f"entry {e.index}'s speedup", src)
        book.add(f"entry.{e.index}.elapsed_s", e.elapsed_s, "s", f"when entry {e.index} was scored", src)
    best = max((e for e in entries if e.counts), key=lambda e: e.normalized_score or 0.0, default=None)
    if best is not None:
        src = f"{LOG} entry {best.index}"
        book.add("best.entry", best.index, "id", "the best counted entry", src)
        book.add("best.score", best.normalized_score, "score", "the run's score: its best counted entry", src)
        book.add("best.speedup", best.speedup, "x", "the best entry's speedup", src)
        book.add("best.elapsed_s", best.elapsed_s, "s", "when the best entry was scored", src)
    return book.build()


def _score_plot(run: Run) -> bytes:
    from assay.env import plot_run

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "score.svg"  # the format follows the suffix
        import matplotlib

        matplotlib.rcParams.update({"svg.fonttype": "path", "svg.hashsalt": "assay-report"})
        plot_run(run, path)
        return path.read_bytes()


def env_page(run: Run, facts: Facts) -> Page:
    asked = prose(
        facts,
        "The environment hands the task {env.task} to an outside agent; its state is in {env.state}.",
        "The scorer used the {env.profile} settings.",
        "The time budget was {env.time_budget_s!m:.0f} minutes.",
        "The starting solution measured {baselines.start_speedup:.3f}x and the reference solution "
        "{baselines.reference_speedup:.3f}x over the task's Model.",
    )
    scored = prose(
        facts,
        "The score log holds {log.entries} entries: {log.verdict.verified} verified, {log.verdict.incorrect} "
        "incorrect, {log.verdict.flagged} flagged, {log.verdict.crashed} crashed, {log.verdict.refused} refused.",
        "{log.counted} entries count; {log.late} came after the time budget.",
        "The run's score is {best.score:.3f}, from entry {best.entry} ({best.speedup:.3f}x), scored after "
        "{best.elapsed_s!m:.1f} min.",
        "{log.tampering} entries note tampering with the workspace.",
        "{log.problems} lines of the log are not entries in sequence.",
    )
    if "best.score" not in facts:
        scored += prose(facts, ("No entry counts, so the run has no score.", ("log.counted",)))
    counts = {v: int(facts.value(f"log.verdict.{v}") or 0) for v in ENTRY_VERDICTS}
    figures = (
        Figure("score", "Score over time", _score_plot(run), "the normalized score of each counted entry"),
        Figure("verdicts", "Verdicts", verdict_plot(counts, "verdicts of the score log's entries")),
    )
    rows = []
    for e in run.entries:
        ci = f" [{e.speedup_ci[0]:.3f}, {e.speedup_ci[1]:.3f}]" if e.speedup_ci else ""
        speed = f"{e.speedup:.3f}x{ci}" if e.speedup is not None else ""
        score = f"{e.normalized_score:.3f}" if e.normalized_score is not None else ""
        note = "; ".join([*(["late"] if e.late else []), *e.flags, *e.tampering, e.message])
        rows.append((str(e.index), e.time, f"{e.elapsed_s:.0f} s", e.verdict, speed, score, note.strip("; ")))
    table = Table(("entry", "time", "elapsed", "verdict", "speedup [95% CI]", "score", "note"), tuple(rows))
    sections = (
        Section("asked", "What was asked", (Prose(asked),)),
        Section("scored", "What was scored", (Prose(scored), *figures, table)),
    )
    return Page(f"assay env: {run.task}", str(run.state), facts, sections)
