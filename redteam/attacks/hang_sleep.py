# attack: limit-evasion
# variant: sleep-in-forward
# weakness: a CPU-time limit (RLIMIT_CPU) does not stop a call that sleeps; only a wall-clock deadline does
# seen: docs/sandbox.md section 2.2 sleep_past
# task: matmul
# expect: timeout
# side-effect: none
"""Sleep 300 s on the first call (no CPU used, so RLIMIT_CPU never fires)."""

import time

import torch.nn as nn

BOUND_S = 300


class ModelNew(nn.Module):
    def __init__(self, in_features, out_features):
        super().__init__()

    def forward(self, x):
        time.sleep(BOUND_S)
        raise RuntimeError(f"limit-evasion: slept {BOUND_S} s and nobody stopped it")
