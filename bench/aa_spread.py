"""How far evaluations of identical code spread, and how much of it is each process's own speed.

    python bench/aa_spread.py TASK [--runs 10] [--bare 8] [--alternate]

1. `--runs` A/A evaluations through one warm `assay.Evaluator`: the candidate is the task's own file with
   `ModelNew = Model`, so the true speedup is 1. Prints each speedup and interval (with the reference twins'
   ratio and the spread added to the interval), their sd, and how many intervals exclude 1 (an honest
   protocol should do that about 5% of the time). `--alternate` runs every other evaluation with one reference
   process (`EvalConfig(reference_twins=False)`) and summarises each setting apart: with twins, each twin runs
   every other measured round, so a task that lives in the cache could favour the candidate (it reruns sooner).
2. `--bare` fresh processes, no assay: each builds the task's `Model` on the same inputs, pinned to one CPU,
   one thread, and prints its mean time per call over five 0.2 s stretches. The spread of those means across
   processes, against the spread within one, is the per-process offset that no number of rounds in a single
   pair of workers removes.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

_BARE = r"""
import importlib.util, os, sys, time, torch
torch.set_num_threads(1); torch.set_grad_enabled(False)
os.sched_setaffinity(0, {max(os.sched_getaffinity(0))})
spec = importlib.util.spec_from_file_location("task", sys.argv[1])
task = importlib.util.module_from_spec(spec); spec.loader.exec_module(task)
torch.manual_seed(0)
model = task.Model(*task.get_init_inputs())
inputs = task.get_inputs()
means = []
for _ in range(6):
    t0 = time.thread_time(); n = 0
    while time.thread_time() - t0 < 0.2:
        out = model(*inputs); del out; n += 1
    means.append((time.thread_time() - t0) / n * 1e3)
print(" ".join(f"{m:.4f}" for m in means[1:]))
"""


def task_file(task: Path) -> Path:
    return task / "task.py" if task.is_dir() else task


def aa(task: Path, runs: int, alternate: bool) -> None:
    import assay

    source = task_file(task).read_text() + "\n\nModelNew = Model\n"
    settings = [True, False] if alternate else [True]
    speedups: dict[bool, list[float]] = {twins: [] for twins in settings}
    outside = dict.fromkeys(settings, 0)
    with assay.Evaluator() as ev:
        for i in range(runs):
            twins_on = settings[i % len(settings)]
            config = assay.EvalConfig(reference_twins=twins_on)
            result = ev.evaluate(str(task), source, config, name=f"aa-{i}")
            if result.speedup is None or result.speedup_ci is None:
                print(f"run {i}: {result.verdict} {result.message}", flush=True)
                continue
            low, high = result.speedup_ci
            outside[twins_on] += not low <= 1.0 <= high
            speedups[twins_on].append(result.speedup)
            timing = result.timing
            rounds = len(timing.reference_ms) if timing else 0
            twins = (
                f"twins {timing.twin_ratio:.4f}, added sd {timing.between_sd:.4f}"
                if timing and timing.twin_ratio
                else ("one reference process" if not twins_on else "")
            )
            print(f"run {i}: {result.speedup:.4f} [{low:.4f}, {high:.4f}] {rounds} rounds {twins}", flush=True)
    for twins_on, values in speedups.items():
        if len(values) > 1:
            label = "A/A with twins" if twins_on else "A/A, one reference"
            print(
                f"{label}: mean {statistics.fmean(values):.4f}, sd {statistics.stdev(values):.4f}, "
                f"range {min(values):.4f}-{max(values):.4f}, {outside[twins_on]}/{len(values)} intervals exclude 1"
            )


def bare(task: Path, processes: int) -> None:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MALLOC_MMAP_THRESHOLD_": str(32 << 20),
           "MALLOC_TRIM_THRESHOLD_": str(1 << 40)}  # fmt: skip  # as the evaluator's zygote sets them
    per_process: list[float] = []
    within: list[float] = []
    for i in range(processes):
        out = subprocess.run(
            [sys.executable, "-c", _BARE, str(task_file(task))], capture_output=True, text=True, env=env, check=True
        ).stdout.split()
        means = [float(x) for x in out]
        per_process.append(statistics.fmean(means))
        within.append(statistics.stdev(means) / statistics.fmean(means))
        print(f"process {i}: {' '.join(out)} ms per call", flush=True)
    if len(per_process) > 1:
        print(
            f"bare: between processes sd {statistics.stdev(per_process) / statistics.fmean(per_process):.1%} "
            f"of the mean; within a process sd {statistics.fmean(within):.1%}"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("task", type=Path)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--bare", type=int, default=8)
    parser.add_argument("--alternate", action="store_true", help="every other evaluation with one reference")
    args = parser.parse_args()
    if not task_file(args.task).is_file():
        raise SystemExit(f"no task file at {args.task}")
    if args.bare:
        bare(args.task, args.bare)
    if args.runs:
        aa(args.task, args.runs, args.alternate)


if __name__ == "__main__":
    main()
