#!/usr/bin/env python
"""`assay optimize` with the offline proposer on every bundled task: the README's results table.

    .venv/bin/python bench/optimize_suite.py [FILTER ...] [--minutes 3] [--evals 30] [--seed 0]
        [--runs-dir .assay/suite-runs] [--markdown]

Runs the command line itself, one task after another (`assay optimize tasks/<task> --budget-minutes M
--budget-evals N --seed S`), then reads each run's SQLite file: the first verified candidate (the translation
of `Model`, "start"), the best candidate's confirming evaluation (a fresh evaluation with the full protocol at the
end of the run, or the search's own when none is verified), the number of evaluations and the run's minutes. A
row per task as it finishes; `--markdown` prints the table again at the end.

A search's budget is checked before each evaluation, so a run can pass it by one evaluation (a compiled
candidate costs a minute) plus the confirmation. Speedups move by a few percent between runs on a shared
machine: compare verdicts and interval low ends.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_task(task: Path, args: argparse.Namespace) -> Path | None:
    """Run `assay optimize` on one task; the run's file, or None when the command failed to start a run."""
    before = set(args.runs_dir.glob("*/run.sqlite")) if args.runs_dir.exists() else set()
    command = [
        sys.executable, "-m", "assay", "optimize", str(task),
        "--budget-minutes", str(args.minutes), "--budget-evals", str(args.evals),
        "--seed", str(args.seed), "--run-dir", str(args.runs_dir), "--plain",
    ]  # fmt: skip
    proc = subprocess.run(command, capture_output=True, text=True, check=False)
    made = sorted(set(args.runs_dir.glob("*/run.sqlite")) - before)
    if not made:
        print(f"{task.name}: assay optimize failed: {proc.stderr.strip()[-300:]}", file=sys.stderr)
        return None
    return made[-1]


def summarize(run_file: Path) -> dict[str, object]:
    conn = sqlite3.connect(run_file)
    conn.row_factory = sqlite3.Row
    run = conn.execute("SELECT task_name, elapsed_s, stop_reason FROM runs").fetchone()
    rows = conn.execute(
        "SELECT e.kind, e.verdict, e.speedup, e.ci_low, e.ci_high, e.fitness, c.stage, c.description, c.id "
        "FROM evaluations e JOIN candidates c ON c.id = e.candidate_id ORDER BY e.id"
    ).fetchall()
    search = [r for r in rows if r["kind"] == "search"]
    verified = [r for r in search if r["verdict"] == "verified"]
    start = verified[0] if verified else None
    confirmed = [r for r in rows if r["kind"] == "confirm" and r["verdict"] == "verified"]
    best = confirmed[0] if confirmed else (max(verified, key=lambda r: r["fitness"]) if verified else None)
    return {
        "task": run["task_name"],
        "start": start["speedup"] if start else None,
        "best": best["speedup"] if best else None,
        "interval": [best["ci_low"], best["ci_high"]] if best else None,
        "confirmed": bool(confirmed),
        "what": best["description"] if best else "",
        "evaluations": len(rows),
        "verified": len(verified),
        "minutes": round(run["elapsed_s"] / 60, 1),
        "stop": run["stop_reason"],
    }


def line(row: dict[str, object]) -> str:
    def x(value: object) -> str:
        return f"{value:.3f}x" if isinstance(value, float) else "-"

    interval = row["interval"]
    ci = f"[{interval[0]:.3f}, {interval[1]:.3f}]" if isinstance(interval, list) else "-"
    return f"| {row['task']} | {x(row['start'])} | {x(row['best'])} | {ci} | {row['evaluations']} | {row['minutes']} |"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("filters", nargs="*")
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--evals", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--runs-dir", type=Path, default=ROOT / ".assay" / "suite-runs")
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--out", type=Path, help="append each task's row as JSON")
    args = parser.parse_args()
    tasks = sorted(p for p in (ROOT / "tasks").iterdir() if (p / "task.py").is_file())
    tasks = [t for t in tasks if not args.filters or any(f in t.name for f in args.filters)]
    header = "| task | start | best found | 95% interval | evaluations | minutes |\n|---|---|---|---|---|---|"
    print(header, flush=True)
    rows = []
    t0 = time.monotonic()
    for task in tasks:
        run_file = run_task(task, args)
        if run_file is None:
            continue
        row = summarize(run_file)
        rows.append(row)
        print(line(row), flush=True)
        if args.out is not None:
            with args.out.open("a") as f:
                f.write(json.dumps(row) + "\n")
    faster = sum(1 for r in rows if isinstance(r["interval"], list) and r["interval"][0] > 1)
    print(f"\n{faster}/{len(rows)} tasks with a verified speedup whose interval's low end is above 1, "
          f"{(time.monotonic() - t0) / 60:.0f} minutes in all")  # fmt: skip
    if args.markdown:
        print("\n" + header)
        for row in rows:
            print(line(row))


if __name__ == "__main__":
    main()
