"""What each honest control of the red-team corpus really is, next to what `assay eval` reads for it.

    python bench/controls_bare.py [--only PATTERN] [--seconds 1.5] [--no-assay]

For every file in `redteam/controls/`, a fresh process with no assay in it (pinned to the last CPU, one thread,
glibc's thresholds as the evaluator's zygote sets them) builds the task's `Model` and the control's `ModelNew`,
then times them in alternating stretches of at least 5 ms each, on eight input sets drawn beforehand, by the
process's CPU time (threads included). It prints the bare ratio of the two mean times per call. Then one
`assay.Evaluator` evaluates the same control and the script prints its speedup and interval beside the bare one.

The bare loop has none of the evaluator's defences: its inputs stay warm in the cache from call to call and no
orchestrator runs between stretches, so it is what the code costs in the friendliest setting, not a second
opinion on integrity. A control whose assay reading lies far from its bare ratio, in either direction, is a
measurement to explain.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONTROLS = ROOT / "redteam" / "controls"
TASKS = ROOT / "redteam" / "tasks"

_BARE = r"""
import importlib.util, os, sys, time, torch
torch.set_num_threads(1); torch.set_grad_enabled(False)
os.sched_setaffinity(0, {max(os.sched_getaffinity(0))})

def load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module)
    return module

task, control, seconds = load(sys.argv[1], "task"), load(sys.argv[2], "control"), float(sys.argv[3])
torch.manual_seed(0)
init = task.get_init_inputs()
ref = task.Model(*init)
torch.manual_seed(0)
cand = control.ModelNew(*init)
sets = []
for seed in range(8):
    torch.manual_seed(seed + 1)
    sets.append(task.get_inputs())

def stretch(model, at_least):
    t0 = time.process_time(); n = 0
    while True:
        model(*sets[n % len(sets)]); n += 1
        spent = time.process_time() - t0
        if spent >= at_least:
            return spent, n

for model in (ref, cand):  # warm: lazy initialisation, first-call compiles
    stretch(model, 0.05)
totals = {"ref": [0.0, 0], "cand": [0.0, 0]}
while totals["ref"][0] + totals["cand"][0] < 2 * seconds:
    for key, model in (("ref", ref), ("cand", cand)):
        spent, n = stretch(model, 0.005)
        totals[key][0] += spent; totals[key][1] += n
ref_ms = totals["ref"][0] / totals["ref"][1] * 1e3
cand_ms = totals["cand"][0] / totals["cand"][1] * 1e3
print(f"{ref_ms:.4f} {cand_ms:.4f}")
"""


def task_of(control: Path) -> Path:
    match = re.search(r"^# task: (\S+)", control.read_text(), re.MULTILINE)
    if match is None:
        raise SystemExit(f"{control.name} names no task in its header")
    return TASKS / match.group(1)


def bare(task: Path, control: Path, seconds: float) -> tuple[float, float]:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MALLOC_MMAP_THRESHOLD_": str(32 << 20),
           "MALLOC_TRIM_THRESHOLD_": str(1 << 40)}  # fmt: skip  # as the evaluator's zygote sets them
    with tempfile.TemporaryDirectory(prefix="assay-bare-") as scratch:  # the compiled controls build into "."
        proc = subprocess.run(
            [sys.executable, "-c", _BARE, str(task / "task.py"), str(control), str(seconds)],
            capture_output=True,
            text=True,
            env=env,
            cwd=scratch,
            check=False,
        )
    if proc.returncode != 0:
        raise SystemExit(f"{control.name}: the bare loop failed: {proc.stderr.strip()[-400:]}")
    ref_ms, cand_ms = (float(x) for x in proc.stdout.split())
    return ref_ms, cand_ms


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", default="", help="a substring of the control files to run")
    parser.add_argument("--seconds", type=float, default=1.5, help="CPU seconds per side in the bare loop")
    parser.add_argument("--no-assay", action="store_true", help="the bare loop alone")
    args = parser.parse_args()
    controls = sorted(p for p in CONTROLS.glob("*.py") if args.only in p.name)
    if not controls:
        raise SystemExit(f"no control matches {args.only!r}")

    evaluator = None
    if not args.no_assay:
        from assay.evaluate import Evaluator

        evaluator = Evaluator()
    print(f"{'control':<36} {'bare ref ms':>11} {'bare cand ms':>12} {'bare':>7}   assay eval")
    try:
        for control in controls:
            task = task_of(control)
            ref_ms, cand_ms = bare(task, control, args.seconds)
            reading = ""
            if evaluator is not None:
                r = evaluator.evaluate(str(task), control, name=control.stem)
                if r.speedup is not None and r.speedup_ci is not None:
                    low, high = r.speedup_ci
                    reading = (
                        f"{r.speedup:.3f} [{low:.3f}, {high:.3f}] (ref {r.reference_ms:.3f}, "
                        f"cand {r.candidate_ms:.3f} ms)"
                    )
                else:
                    reading = f"{r.verdict}: {r.message[:80]}"
            print(f"{control.stem:<36} {ref_ms:11.3f} {cand_ms:12.3f} {ref_ms / cand_ms:7.3f}   {reading}", flush=True)
    finally:
        if evaluator is not None:
            evaluator.close()


if __name__ == "__main__":
    main()
