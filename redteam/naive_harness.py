"""A deliberately naive, KernelBench-style, in-process harness. It exists to be fooled.

Usage: python redteam/naive_harness.py TASK_DIR CANDIDATE.py

It does what many real harnesses did before they were hardened (docs/exploits.md section 2a):
- task and candidate are imported into this one process;
- weights and inputs come from the public seed 42;
- the reference runs first and the candidate runs second on the same, non-cloned inputs;
- the reference output is converted to float64 (so the float32 original is freed before the candidate
  runs) and cached in a module-level dict, then compared with `torch.allclose` at KernelBench v0's
  atol = rtol = 1e-2;
- then both are timed with `time.perf_counter` over the same inputs, and no timed output is rechecked.

It prints one JSON line, {"verdict": "pass" | "fail" | "error", "speedup": ..., ...}, and exits 0 on a
pass, 1 otherwise. The red-team runner (`assay redteam --naive`) trusts that line and the exit status, as a
naive CI job would. Never use this to evaluate anything.
"""

from __future__ import annotations

import importlib.util
import json
import statistics
import sys
import time
from pathlib import Path

import torch

SEED = 42
TOL = 1e-2
WARMUP = 3
TRIALS = 20

# Reference outputs cached per seed so the reference runs once per seed (a common shortcut).
EXPECTED: dict = {}


def _load(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def time_model(model, inputs) -> float:
    """Mean seconds per call over TRIALS calls on the same inputs."""
    times = []
    for _ in range(WARMUP):
        model(*inputs)
    for _ in range(TRIALS):
        start = time.perf_counter()
        model(*inputs)
        times.append(time.perf_counter() - start)
    return statistics.mean(times)


def check_correctness(expected, got) -> bool:
    if not isinstance(got, torch.Tensor) or got.shape != expected.shape:
        return False
    return bool(torch.allclose(got.double(), expected, atol=TOL, rtol=TOL))


def main(argv: list[str]) -> int:
    task_dir, candidate_path = Path(argv[1]), Path(argv[2])
    torch.set_num_threads(1)  # steadier timings on a shared 2-core machine
    task = _load(task_dir / "task.py", "task")
    candidate = _load(candidate_path, "candidate")

    init = task.get_init_inputs()
    torch.manual_seed(SEED)
    model = task.Model(*init)
    torch.manual_seed(SEED)
    model_new = candidate.ModelNew(*init)
    torch.manual_seed(SEED)
    inputs = task.get_inputs()

    with torch.no_grad():
        if SEED not in EXPECTED:
            EXPECTED[SEED] = model(*inputs).double()
        expected = EXPECTED[SEED]
        got = model_new(*inputs)
        ok = check_correctness(expected, got)
        if not ok:
            print(json.dumps({"verdict": "fail", "speedup": None}))
            return 1
        ref_s = time_model(model, inputs)
        new_s = time_model(model_new, inputs)
    speedup = ref_s / new_s if new_s > 0 else float("inf")
    print(json.dumps({"verdict": "pass", "speedup": speedup, "reference_ms": ref_s * 1e3, "candidate_ms": new_s * 1e3}))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except Exception as exc:  # a naive harness reports errors as a verdict line
        print(json.dumps({"verdict": "error", "speedup": None, "message": f"{type(exc).__name__}: {exc}"}))
        sys.exit(1)
