"""Checks the evaluator's CUDA paths on a machine with a GPU, and prints what it saw (issue: the hardened evaluator).

    python bench/cuda_paths.py [--device cuda] [--size NAME=N ...]

Not yet run: the machine this was written on has no GPU. Each line is a whole `assay eval --device DEVICE` of
the bench fixtures, at sizes where a call takes about a millisecond on a current GPU:

1. A/A (the reference as its candidate): verified, speedup within 5% of 1 (CUDA events, the L2 flush before
   each call, the device-wide synchronize after it; the official sample is the block's wall time);
2. work left on a side stream: flagged `side-stream` (host time after the synchronize exceeds the events);
3. a `load_inline` CUDA kernel, compiled in the sandbox: verified and faster (the redundant task done once);
4. the plain 2x candidate: verified and faster.

Besides the verdict it prints the reference's per-call time by CUDA events and by the official wall-time
sample, so the per-call overhead around a kernel (flush, copies, synchronize) can be read off. Exit status: 0
when every line is as expected, 1 otherwise, 2 when torch sees no CUDA device.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent / "fixtures"
SIZES = ["batch_size=1024", "in_features=4096", "out_features=4096"]


def cuda_devices() -> int:
    probe = [sys.executable, "-c", "import torch; print(torch.cuda.device_count() if torch.version.cuda else 0)"]
    out = subprocess.run(probe, capture_output=True, text=True, check=False).stdout.strip()
    return int(out) if out.isdigit() else 0


def assay_eval(task: Path, candidate: Path, device: str, sizes: list[str]) -> dict[str, object]:
    args = [sys.executable, "-m", "assay", "eval", str(task), str(candidate), "--json", "--device", device]
    for size in sizes:
        args += ["--size", size]
    proc = subprocess.run(args, capture_output=True, text=True, check=False)
    if not proc.stdout.strip():
        return {"verdict": "error", "message": proc.stderr.strip()[-300:]}
    result: dict[str, object] = json.loads(proc.stdout)
    return result


def describe(label: str, r: dict[str, object]) -> str:
    timing = r.get("timing")
    extra = ""
    if isinstance(timing, dict) and timing.get("reference_inner_ms"):
        k = int(timing["calls_per_sample"])
        events = statistics.median(timing["reference_inner_ms"]) / k
        sample = statistics.median(timing["reference_ms"]) / k
        extra = f" reference per call: {events:.4f} ms by events, {sample:.4f} ms by the official sample (k={k})"
    flags = [f["id"] for f in r.get("flags") or [] if isinstance(f, dict)]
    return (
        f"{label:<22} {r.get('verdict')!s:<9} speedup {r.get('speedup')} CI {r.get('speedup_ci')} "
        f"{r.get('comparison')} flags {flags}{extra} {str(r.get('message') or '')[:160]}"
    )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--size", action="append", default=None, help="NAME=N, replacing the default sizes")
    args = parser.parse_args()
    if cuda_devices() == 0:
        print("torch sees no CUDA device here: nothing to check (exit 2)")
        return 2
    sizes = args.size if args.size is not None else SIZES
    task, redundant = HERE / "matmul_task.py", HERE / "redundant_task.py"
    cases = [
        ("A/A", task, HERE / "same.py", lambda r: r["verdict"] == "verified" and 0.95 <= float(r["speedup"]) <= 1.05),
        (
            "side stream",
            redundant,
            HERE / "cuda" / "side_stream.py",
            lambda r: r["verdict"] == "flagged" and any(f["id"] == "side-stream" for f in r["flags"]),
        ),
        (
            "load_inline kernel",
            redundant,
            HERE / "cuda" / "inline_twice.py",
            lambda r: r["verdict"] == "verified" and r["comparison"] == "faster",
        ),
        (
            "2x",
            redundant,
            HERE / "twice_as_fast.py",
            lambda r: r["verdict"] == "verified" and r["comparison"] == "faster",
        ),
    ]
    failed = 0
    for label, task_file, candidate, expected in cases:
        r = assay_eval(task_file, candidate, args.device, sizes)
        try:
            ok = bool(expected(r))
        except (KeyError, TypeError, ValueError):
            ok = False
        failed += not ok
        print(("ok   " if ok else "FAIL ") + describe(label, r), flush=True)
    print(f"{len(cases) - failed}/{len(cases)} as expected")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
