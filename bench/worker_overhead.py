"""The worker's own work per call (the serve loop: request, input views, clock, reply), and what a candidate that
replaces that loop with a leaner one saves at most.

    python bench/worker_overhead.py [--runs 3]

Workers copy no output (the orchestrator reads it from their memory), so the only fixed cost left on both sides is
the loop. The task's call copies 16 floats: its mean time per call is that cost. A candidate can save at most the
difference between the reference's loop and the leanest loop it can write; on a task whose call takes T, that is
the most its speedup can gain without doing the work faster.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from assay.evaluate import EvalConfig, Evaluator

HERE = Path(__file__).parent / "fixtures" / "overhead"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    config = EvalConfig(max_block_calls=64)
    with Evaluator() as evaluator:
        for name in ("same.py", "lean_loop.py"):
            for i in range(args.runs):
                r = evaluator.evaluate(HERE / "task.py", HERE / name, config)
                assert r.timing is not None
                print(
                    f"{name:<14} run {i + 1}: {r.verdict:<9} reference {r.reference_ms * 1e3:6.1f} us/call  "
                    f"candidate {r.candidate_ms * 1e3:6.1f} us/call  speedup {r.speedup:.3f} "
                    f"{r.speedup_ci}  ({r.timing.calls_per_sample} calls per block)"
                )


if __name__ == "__main__":
    main()
