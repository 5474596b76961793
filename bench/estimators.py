"""Compares speedup estimators on the same A/A samples: which one stays near 1 with the narrowest interval.

    python bench/estimators.py [--runs 10] [--rounds N] [--save samples.json | --load samples.json]

Runs `assay eval --json` on the ~5 ms task with the reference itself as the candidate, keeps every run's raw
samples, then computes each estimator on the first 20, 40, 60, 100, 150 and 200 rounds of each run long
enough: the point estimates (a perfect estimator gives 1.0), their spread across runs, and the mean half-width
of a 2000-resample bootstrap interval over rounds. The evaluator's own choice is `assay.timing.paired_speedup`.

`--rounds N` times exactly N rounds per run instead of the evaluator's stopping rule (through the library:
the command line has no such option). Where the spread stops shrinking as the prefix grows while the
intervals keep narrowing, the runs differ by more than their rounds do: that sets `EvalConfig.max_rounds`.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

from assay.timing import trimmed_mean

HERE = Path(__file__).parent / "fixtures"

Estimator = Callable[[np.ndarray, np.ndarray], np.ndarray]

ESTIMATORS: dict[str, Estimator] = {
    "ratio of medians": lambda r, c: np.median(r, -1) / np.median(c, -1),
    "ratio of means": lambda r, c: r.mean(-1) / c.mean(-1),
    "ratio of trimmed means": lambda r, c: trimmed_mean(r) / trimmed_mean(c),
    "median paired log-ratio": lambda r, c: np.exp(np.median(np.log(r / c), -1)),
    "trimmed paired log-ratio (assay)": lambda r, c: np.exp(trimmed_mean(np.log(r / c))),
}


def collect(runs: int, rounds: int | None) -> list[tuple[list[float], list[float]]]:
    if rounds is not None:
        return collect_fixed(runs, rounds)
    samples = []
    for i in range(runs):
        proc = subprocess.run(
            [sys.executable, "-m", "assay", "eval", str(HERE / "matmul_task.py"), str(HERE / "same.py"), "--json"],
            capture_output=True,
            text=True,
            check=False,
        )
        result = json.loads(proc.stdout)
        timing = result["timing"]
        samples.append((timing["reference_ms"], timing["candidate_ms"]))
        print(f"run {i + 1}: {len(timing['reference_ms'])} rounds, reported {result['speedup']}", file=sys.stderr)
    return samples


def collect_fixed(runs: int, rounds: int) -> list[tuple[list[float], list[float]]]:
    from assay.evaluate import EvalConfig, Evaluator

    samples = []
    with Evaluator() as evaluator:
        for i in range(runs):
            config = EvalConfig(min_rounds=rounds, max_rounds=rounds, timing_budget_s=float("inf"))
            result = evaluator.evaluate(HERE / "matmul_task.py", HERE / "same.py", config)
            assert result.timing is not None, result.message
            samples.append((result.timing.reference_ms, result.timing.candidate_ms))
            print(f"run {i + 1}: {rounds} rounds, reported {result.speedup}", file=sys.stderr)
    return samples


def compare(samples: list[tuple[list[float], list[float]]]) -> None:
    rng = np.random.default_rng(0)
    for n in (20, 40, 60, 100, 150, 200):
        long_enough = [(r, c) for r, c in samples if len(r) >= n]
        if len(long_enough) < 2:
            continue
        print(f"\n# first {n} rounds of {len(long_enough)} A/A runs")
        print(f"{'estimator':34} {'max |dev|':>9} {'sd':>7} {'mean +/-':>9}")
        for name, estimate in ESTIMATORS.items():
            points, halves = [], []
            for ref_list, cand_list in long_enough:
                ref, cand = np.array(ref_list[:n]), np.array(cand_list[:n])
                idx = rng.integers(0, ref.size, size=(2000, ref.size))
                value = float(estimate(ref, cand))
                low, high = np.percentile(estimate(ref[idx], cand[idx]), [2.5, 97.5])
                points.append(value)
                halves.append((high - low) / 2 / value)
            dev = np.abs(np.array(points) - 1)
            print(f"{name:34} {dev.max():9.2%} {np.std(points):7.2%} {np.mean(halves):9.2%}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--rounds", type=int, help="time exactly this many rounds per run")
    parser.add_argument("--save", type=Path, help="write the collected samples here")
    parser.add_argument("--load", type=Path, help="compare samples saved earlier instead of collecting")
    args = parser.parse_args()
    samples = json.loads(args.load.read_text()) if args.load else collect(args.runs, args.rounds)
    if args.save:
        args.save.write_text(json.dumps(samples))
    compare(samples)


if __name__ == "__main__":
    main()
