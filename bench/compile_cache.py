"""Wall time of whole evaluations of compiled candidates, with the trusted compile cache and without it.

    python bench/compile_cache.py [--runs 2]

Builds a fresh cache in a temporary folder first and prints how long each part took to build (once per machine
in normal use), then evaluates a `torch.compile` candidate and a `load_inline -O3` candidate on the test suite's
`task_tanh`, `--runs` times each way, in one warm evaluator. The candidates are in bench/fixtures/compiled.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from assay.evaluate import EvalConfig, Evaluator
from assay.evaluate._compile_cache import CompileCache

HERE = Path(__file__).parent
TASK = HERE.parent / "tests" / "fixtures" / "eval" / "task_tanh.py"
CANDIDATES = {
    "torch.compile": HERE / "fixtures" / "compiled" / "torch_compile.py",
    "load_inline -O3": HERE / "fixtures" / "compiled" / "load_inline.py",
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as root:
        cache = CompileCache(Path(root))
        for name, path in CANDIDATES.items():
            t0 = time.perf_counter()
            lent = cache.for_source(path.read_text())
            print(f"{name:<16} cache built in {time.perf_counter() - t0:5.1f} s: {', '.join(lent.folders())}")
        config = EvalConfig()
        with Evaluator(compile_cache=cache) as evaluator:
            for name, path in CANDIDATES.items():
                for use in (True, False):
                    walls = []
                    for _ in range(args.runs):
                        t0 = time.perf_counter()
                        result = evaluator.evaluate(TASK, path, replace(config, compile_cache=use))
                        walls.append(time.perf_counter() - t0)
                        if result.verdict != "verified":
                            raise SystemExit(f"{name}: {result.verdict}: {result.message}")
                    shown = ", ".join(f"{w:.1f}" for w in walls)
                    print(f"{name:<16} {'with' if use else 'without':<7} the cache: {shown} s per evaluation")


if __name__ == "__main__":
    main()
