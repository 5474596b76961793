"""The report of a bench results file (`assay bench --out results.jsonl`): per task, fast_p, the geometric mean."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from assay.errors import UserError
from assay.evaluate import EvalError, EvalResult
from assay.report._claims import prose
from assay.report._facts import VERDICTS, FactBook, Facts
from assay.report._page import Figure, Page, Prose, Section, Table
from assay.report._plots import Point, speedup_bars, verdict_plot
from assay.report._run_facts import fact_key
from assay.report._suite import best_per_task, summarize

FAST_P = (0.0, 1.0, 1.5, 2.0)


@dataclass(frozen=True)
class BenchData:
    path: Path
    rows: tuple[tuple[int, EvalResult | EvalError], ...]  # (line number, row); the last row of a pair wins
    skipped: int  # lines that are not rows (cut short by a kill)

    @property
    def results(self) -> list[EvalResult]:
        return [r for _, r in self.rows if isinstance(r, EvalResult)]

    @property
    def tasks(self) -> list[str]:
        return list(dict.fromkeys(r.task for _, r in self.rows))


def load_bench(path: Path) -> BenchData:
    """Read a results file: one JSON row a line, as `assay bench --out` appends them.

    Raises:
        UserError: the file cannot be read or holds no row.
    """
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror}") from None
    latest: dict[tuple[str, str], tuple[int, EvalResult | EvalError]] = {}
    skipped = 0
    for number, line in enumerate(lines, 1):
        try:
            data = json.loads(line)
            data.pop("key", None)
            row: EvalResult | EvalError = (
                EvalError.model_validate(data) if data.get("verdict") is None else EvalResult.model_validate(data)
            )
        except (ValueError, AttributeError, ValidationError):
            skipped += 1
            continue
        latest[(row.task, row.candidate)] = (number, row)  # a rerun appends a newer row of the same pair
    if not latest:
        raise UserError(f"{path} holds no result rows (expected the JSON lines of `assay bench --out`)")
    return BenchData(path, tuple(latest.values()), skipped)


def bench_facts(data: BenchData) -> Facts:
    book = FactBook("bench", str(data.path))
    src = data.path.name
    book.add("bench.file", str(data.path), "text", "the results file", "given on the command line")
    book.add("bench.rows", len(data.rows), "count", "results (the latest of each task and candidate)", src)
    book.add(
        "bench.errors",
        sum(isinstance(r, EvalError) for _, r in data.rows),
        "count",
        "evaluations that could not run",
        src,
    )
    book.add("bench.skipped", data.skipped, "count", "lines that are not results", src)
    counts = Counter[str](str(r.verdict) for r in data.results)
    for v in VERDICTS:
        book.add(f"bench.verdict.{v}", counts.get(v, 0), "count", f"results judged {v}", src)
    summary = summarize(data.tasks, data.results, FAST_P)
    derived = f"{src}: the best result of each task"
    book.add("suite.tasks", summary.tasks, "count", "tasks in the file", derived)
    book.add("suite.attempted", summary.attempted, "count", "tasks with a result", derived)
    book.add("suite.verified", summary.verified, "count", "tasks with a verified candidate", derived)
    for p, value in summary.fast.items():
        book.add(f"suite.fast.{p:g}", value, "fraction", f"fast_{p:g}: share of tasks verified above {p:g}x", derived)
    book.add("suite.geomean", summary.geomean_speedup, "x", "the geometric mean of verified speedups", derived)
    lines = {id(r): n for n, r in data.rows}
    for task, r in best_per_task(data.results).items():
        key, where = fact_key(task), f"{src} line {lines.get(id(r), 0)}"
        book.add(f"task.{key}.verdict", str(r.verdict), "text", f"{task}'s best verdict", where, VERDICTS)
        book.add(f"task.{key}.speedup", r.speedup, "x", f"{task}'s best speedup", where)
        if r.speedup_ci:
            book.add(f"task.{key}.ci_low", r.speedup_ci[0], "x", f"the low end of {task}'s interval", where)
            book.add(f"task.{key}.ci_high", r.speedup_ci[1], "x", f"the high end of {task}'s interval", where)
    return book.build()


def bench_page(data: BenchData, facts: Facts) -> Page:
    asked = prose(
        facts,
        "The file {bench.file} holds {bench.rows} results for {suite.tasks} tasks.",
        "{bench.errors} evaluations could not run; {bench.skipped} lines are not results.",
    )
    summary = prose(
        facts,
        "{suite.verified} of {suite.tasks} tasks have a verified candidate ({suite.fast.0!p:.1f}%).",
        "fast_1 is {suite.fast.1!p:.1f}%, fast_1.5 {suite.fast.1.5!p:.1f}% and fast_2 {suite.fast.2!p:.1f}%.",
        "The geometric mean of the verified speedups is {suite.geomean:.3f}x.",
    )
    best = best_per_task(data.results)
    rows, points, names = [], [], []
    for task in data.tasks:
        r = best.get(task)
        if r is None:
            rows.append((task, "", "error", "", "", "no evaluation could run"))
            continue
        low, high = (r.speedup_ci[0], r.speedup_ci[1]) if r.speedup_ci else (None, None)
        speed = f"{r.speedup:.3f}x [{low:.3f}, {high:.3f}]" if r.speedup is not None and r.speedup_ci else ""
        note = r.message or ", ".join(f.id for f in r.flags)
        rows.append((task, r.candidate, str(r.verdict), speed, r.comparison or "", note))
        points.append(Point(0, str(r.verdict), r.speedup, low, high))
        names.append(task)
    fast = tuple((f"fast_{p:g}", f"{float(facts.value(f'suite.fast.{p:g}') or 0):.1%}") for p in FAST_P)
    all_rows = []
    for _, row in data.rows:
        if isinstance(row, EvalError):
            all_rows.append((row.task, row.candidate, "error", "", f"{row.error}: {row.message}"))
        else:
            s = f"{row.speedup:.3f}x" if row.speedup is not None else ""
            all_rows.append((row.task, row.candidate, str(row.verdict), s, row.message))
    counts = {v: int(facts.value(f"bench.verdict.{v}") or 0) for v in VERDICTS}
    counts["error"] = int(facts.value("bench.errors") or 0)
    blocks = (
        Prose(summary),
        Table(("task", "best candidate", "verdict", "speedup [95% CI]", "comparison", "note"), tuple(rows), "per task"),
        Table(("measure", "value"), fast, "fast_p: the share of tasks verified with the interval's low end above p"),
        Figure("speedups", "Speedups", speedup_bars(points, names, "best verified speedup of each task")),
        Figure("verdicts", "Verdicts", verdict_plot(counts, "verdicts of every result")),
        Table(("task", "candidate", "verdict", "speedup", "message"), tuple(all_rows), "every result"),
    )
    sections = (Section("asked", "What was asked", (Prose(asked),)), Section("results", "Results", blocks))
    return Page(f"assay bench: {data.path.name}", str(data.path), facts, sections)
