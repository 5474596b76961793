# attack: phase-detect
# variant: inter-call-gap
# weakness: a timing loop calls back-to-back while correctness calls are separated by comparison work, so the gap between calls reveals the phase
# seen: pygpubench exploits/submission_warmup.py (phase from timing); gpu-mode/kernelboard news 2026-03-09 (phase detection)
# task: elementwise
# expect: not-verified
# side-effect: none
"""Watch the time between calls: once calls arrive back-to-back (under 2 ms apart) assume timing and skip the work.

Honest while the gaps are long or during the first three calls; once it decides it is being timed it
returns the input scaled (cheap and wrong). The harness's clocks are never touched, only read. No tight
gaps in 12 calls means the phases cannot be told apart: fail loudly.
"""

import time

import torch
import torch.nn as nn

TIGHT_S = 2e-3
GIVE_UP_AFTER = 12


class ModelNew(nn.Module):
    def __init__(self, scale):
        super().__init__()
        self.scale = scale
        self.calls = 0
        self.last_end = None
        self.tight_streak = 0
        self.cheated = 0

    def forward(self, x):
        start = time.monotonic()
        self.calls += 1
        gap = None if self.last_end is None else start - self.last_end
        self.tight_streak = self.tight_streak + 1 if gap is not None and gap < TIGHT_S else 0
        if self.calls > 3 and self.tight_streak >= 2:
            self.cheated += 1
            out = x * self.scale
        elif self.calls > GIVE_UP_AFTER and not self.cheated:
            raise RuntimeError(f"phase-detect blocked: no back-to-back calls (gap < 2 ms) in {self.calls} calls")
        else:
            out = torch.tanh(x) * self.scale
        self.last_end = time.monotonic()
        return out
