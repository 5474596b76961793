"""Measures the evaluator against its acceptance figures and prints them (issue: the hardened evaluator).

    python bench/eval_protocol.py [--runs 10] [--load N]

1. an honest candidate on a ~5 ms task: wall time of a whole `assay eval` (fresh process, as a user runs it)
   and the width of the speedup interval;
2. A/A (the reference as candidate), N runs: every speedup within [0.98, 1.02], never "faster";
3. a candidate that really is ~2x faster: verified, interval low end above 1.5;
4. a candidate that is ~10% slower: never reported faster.

`--load N` runs N busy processes (pure-Python spin loops, unpinned) for the whole measurement, the way a CI
job, a browser or a second evaluation loads a laptop: the figures should stay close to the quiet ones.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).parent / "fixtures"


def assay_eval(task: Path, candidate: Path) -> tuple[dict[str, object], float]:
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "assay", "eval", str(task), str(candidate), "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - t0
    if not proc.stdout.strip():
        raise SystemExit(f"assay eval printed nothing: {proc.stderr.strip()[-300:]}")
    return json.loads(proc.stdout), wall


def line(label: str, r: dict[str, object], wall: float) -> str:
    ci = r.get("speedup_ci") or [float("nan")] * 2
    assert isinstance(ci, list)
    speedup = r.get("speedup")
    half = (ci[1] - ci[0]) / 2 / speedup * 100 if isinstance(speedup, float) else float("nan")
    timing = r.get("timing")
    rounds = len(timing["reference_ms"]) if isinstance(timing, dict) else 0
    added = ""
    if isinstance(timing, dict) and isinstance(timing.get("twin_ratio"), float):
        added = f" twins {timing['twin_ratio']:.4f} sd+ {timing['between_sd']:.4f}"
    return (
        f"{label:<28} {r['verdict']:<9} speedup {speedup if speedup is not None else float('nan'):.4f} "
        f"CI [{ci[0]:.4f}, {ci[1]:.4f}] (+/-{half:.2f}%) ref {r.get('reference_ms')} ms "
        f"{r.get('comparison')!s:<25} {rounds:3d} rounds, evaluate() {r.get('elapsed_s')} s of {wall:.2f} s wall{added}"
    )


@contextlib.contextmanager
def busy(processes: int) -> Iterator[None]:
    """`processes` spin loops running until the block ends."""
    spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(processes)]
    try:
        yield
    finally:
        for p in spinners:
            p.kill()
            p.wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--load", type=int, default=0, help="busy processes to run beside the evaluations")
    args = parser.parse_args()
    if args.load:
        print(f"# with {args.load} busy process(es) running beside every evaluation\n")
    with busy(args.load):
        measure(args.runs)


def measure(runs: int) -> None:
    task, redundant = HERE / "matmul_task.py", HERE / "redundant_task.py"

    print("# 1. honest candidate, ~5 ms task, whole CLI run")
    walls = []
    for i in range(3):
        r, wall = assay_eval(task, HERE / "same.py")
        walls.append(wall)
        print(line(f"honest run {i + 1}", r, wall))
    print(f"wall time: max {max(walls):.2f} s\n")

    print(f"# 2. A/A, {runs} runs")
    inside = faster = 0
    for i in range(runs):
        r, wall = assay_eval(task, HERE / "same.py")
        s = r.get("speedup")
        inside += isinstance(s, float) and 0.98 <= s <= 1.02
        faster += r.get("comparison") == "faster"
        print(line(f"A/A run {i + 1}", r, wall))
    print(f"A/A: {inside}/{runs} within [0.98, 1.02]; {faster} claimed faster\n")

    print("# 3. twice as fast (redundant task)")
    for i in range(3):
        r, wall = assay_eval(redundant, HERE / "twice_as_fast.py")
        print(line(f"2x run {i + 1}", r, wall))

    print("\n# 4. ten percent slower")
    for i in range(3):
        r, wall = assay_eval(task, HERE / "ten_percent_slower.py")
        print(line(f"10% slower run {i + 1}", r, wall))


if __name__ == "__main__":
    main()
