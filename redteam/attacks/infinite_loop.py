# attack: limit-evasion
# variant: cpu-spin-in-forward
# weakness: without a wall-clock deadline enforced from outside, a spinning call holds the evaluator (and a core) forever
# seen: docs/sandbox.md section 2.2 cpu_spin; docs/exploits.md limit-evasion
# task: matmul
# expect: not-verified
# side-effect: none
"""Spin in a Python loop on the first call. Bounded to 300 s so that even an unsandboxed run ends."""

import time

import torch.nn as nn

BOUND_S = 300


class ModelNew(nn.Module):
    def __init__(self, in_features, out_features):
        super().__init__()

    def forward(self, x):
        end = time.monotonic() + BOUND_S
        n = 0
        while time.monotonic() < end:
            n += 1
        raise RuntimeError(f"limit-evasion: spun {BOUND_S} s ({n} iterations) and nobody stopped it")
