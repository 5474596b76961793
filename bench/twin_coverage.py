"""How often the speedup interval covers the truth when each process has its own speed (a simulation).

    python bench/twin_coverage.py [--evaluations 200000]

Each evaluation draws a log-speed offset of sd s for each reference twin and for the candidate (a process's own
speed, which persists through a run), plus sampling noise of sd `samp` for each twin's half of the rounds. The
true speedup is 1. The interval is widened as `assay.evaluate._measure` does it: by the larger of the machine's
usual spread (1.3%) and what the twins' disagreement implies (`TwinCheck.between_sd`). Prints the share of
intervals that contain 1, beside the share with the usual spread alone (one reference process). One pair of
twins is one degree of freedom, so where process spread dominates the coverage stays below the nominal 95%.
"""

from __future__ import annotations

import argparse
import math

import numpy as np

_USUAL_SD = 0.013
_Z = 1.96


def coverage(s: float, samp: float, n: int, rng: np.random.Generator) -> tuple[float, float]:
    offsets = rng.normal(0.0, s, (n, 3))
    noise = rng.normal(0.0, samp, (n, 2))
    twin_log_ratio = offsets[:, 0] + noise[:, 0] - offsets[:, 1] - noise[:, 1]
    log_speedup = (offsets[:, 0] + offsets[:, 1]) / 2 - offsets[:, 2] + (noise[:, 0] + noise[:, 1]) / 2
    sampling_sd = samp * math.sqrt(2)  # of the twins' log ratio
    estimate = np.sqrt(np.maximum(0.75 * (twin_log_ratio**2 - sampling_sd**2), 0.0))
    within = (_Z * samp / math.sqrt(2)) ** 2
    twins = np.sqrt(within + (_Z * np.maximum(_USUAL_SD, estimate)) ** 2)
    usual = math.sqrt(within + (_Z * _USUAL_SD) ** 2)
    return float(np.mean(np.abs(log_speedup) < twins)), float(np.mean(np.abs(log_speedup) < usual))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--evaluations", type=int, default=200_000)
    args = parser.parse_args()
    rng = np.random.default_rng(1)
    print("process sd  sampling sd  covered with twins  with the usual spread alone")
    for s in (0.005, 0.01, 0.03, 0.05, 0.1):
        for samp in (0.003, 0.01):
            twins, usual = coverage(s, samp, args.evaluations, rng)
            print(f"{s:10.3f}  {samp:11.3f}  {twins:18.3f}  {usual:27.3f}")


if __name__ == "__main__":
    main()
