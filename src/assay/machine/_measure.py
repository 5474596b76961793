"""Measure peak memory bandwidth and matmul FLOP/s with torch; run as `python -m assay.machine._measure`.

Runs in its own process so that the thread count it sets never leaks into the caller. Prints one JSON
object on stdout: `{"peaks": [{"threads": .., "bandwidth_bytes_per_s": .., "flops_per_s": {..}}, ..]}`.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable

import torch

from assay.machine._contention import Contention

# 64 Mi float32 per array (256 MiB): far beyond any CPU's last-level cache, so the copy streams from DRAM.
_BW_ELEMENTS = 64 * 1024 * 1024
_QUICK_BW_ELEMENTS = 4 * 1024 * 1024
# One matmul of about 80 ms: long enough that timer and call overhead vanish, short enough for the budget.
_TARGET_MATMUL_S = 0.08
_DTYPES = {
    "float32": torch.float32,
    "float64": torch.float64,
    "bfloat16": torch.bfloat16,
    "float16": torch.float16,
}


def _best_seconds(fn: Callable[[], object], repeats: int, budget_s: float = 1.0) -> float:
    """Best of `repeats` runs, cut short after `budget_s` so that a crawling run cannot eat the budget."""
    best = float("inf")
    spent = 0.0
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        elapsed = time.perf_counter() - start
        best = min(best, elapsed)
        spent += elapsed
        if spent > budget_s:
            break
    return best


def _bandwidth(quick: bool) -> float:
    """Best of STREAM-style copy and triad, counting bytes read plus bytes written (as STREAM does)."""
    n = _QUICK_BW_ELEMENTS if quick else _BW_ELEMENTS
    a = torch.empty(n)
    b = torch.ones(n)
    c = torch.ones(n)
    a.fill_(0.0)  # first touch outside the timed region: page faults are not bandwidth
    repeats = 3 if quick else 5
    copy_s = _best_seconds(lambda: a.copy_(b), repeats)
    triad_s = _best_seconds(lambda: torch.add(b, c, alpha=2.0, out=a), repeats)
    return max(2 * 4 * n / copy_s, 3 * 4 * n / triad_s)


def _matmul_flops(dtype: torch.dtype, quick: bool, slow: set[torch.dtype]) -> float:
    """Best square-matmul FLOP/s, sized from a small calibration run so that slow dtypes stay cheap."""
    n = 256
    x = torch.ones(n, n, dtype=dtype)
    x @ x  # warm-up: oneDNN/BLAS pick and cache their kernels on the first call
    rate = 2 * n**3 / _best_seconds(lambda: x @ x, 3)
    # A low-precision dtype without native support (float16 on most CPUs) runs at a few GFLOP/s and gets
    # slower with size; its calibration number is the honest answer and a larger run would blow the time
    # budget. Decided once, single-threaded (measured first): with more threads a busy neighbour can make
    # any calibration crawl, and that must not pass for a slow dtype. float32/float64 always size up.
    if dtype in (torch.float16, torch.bfloat16) and rate < 5e9 and torch.get_num_threads() == 1:
        slow.add(dtype)
    if quick or dtype in slow:
        return rate
    n = int((rate * _TARGET_MATMUL_S / 2) ** (1 / 3)) // 128 * 128
    n = min(max(n, 256), 4096)
    x = torch.ones(n, n, dtype=dtype)
    best = 0.0
    # The peak is what the fastest path reaches: torch's `@` may take a slower BLAS than oneDNN's linear
    # (measured here: MKL about 95 GFLOP/s fp32 on one core, oneDNN about 218), and a floor measured on the
    # slower one would call honest code "faster than the machine".
    for matmul in _matmul_paths(dtype):
        try:
            matmul(x)
        except (RuntimeError, AttributeError, TypeError):
            continue
        best = max(best, 2 * n**3 / _best_seconds(lambda m=matmul: m(x), 5))  # type: ignore[misc]
    return best


def _matmul_paths(dtype: torch.dtype) -> list[Callable[[torch.Tensor], object]]:
    paths: list[Callable[[torch.Tensor], object]] = [lambda x: x @ x]
    linear = getattr(getattr(torch.ops, "mkldnn", None), "_linear_pointwise", None)
    if linear is not None and dtype in (torch.float32, torch.bfloat16):
        paths.append(lambda x: linear(x, x, None, "none", [], ""))
    return paths


def measure_peaks(quick: bool = False) -> list[dict[str, object]]:
    """Peaks with one thread and with every usable core (one entry when there is a single core)."""
    cores = len(os.sched_getaffinity(0))
    peaks: list[dict[str, object]] = []
    slow: set[torch.dtype] = set()
    for threads in sorted({1, cores}):
        torch.set_num_threads(threads)
        flops = {name: _matmul_flops(dtype, quick, slow) for name, dtype in _DTYPES.items()}
        peaks.append({"threads": threads, "bandwidth_bytes_per_s": _bandwidth(quick), "flops_per_s": flops})
    return peaks


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    start = time.perf_counter()
    load = os.getloadavg()[0]
    contention = Contention([os.getpid()])
    peaks = measure_peaks(quick)
    print(
        json.dumps(
            {
                "peaks": peaks,
                "measure_seconds": time.perf_counter() - start,
                "load_average": load,
                "foreign_cpus": contention.foreign_cpus(),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
