# attack: impossible-score
# variant: constant-clock-zero-time
# weakness: with no plausibility bound or roofline floor, a zero measured time becomes an infinite or top-ranked speedup
# seen: reference-kernels PR #159 (a 6-line tamper ranked #1 with a displayed 0.000); kernelguard SCORE_IMPOSSIBLE (< 1e-8 s)
# task: matmul
# expect: not-verified
# side-effect: none
"""Freeze every Python clock at a constant: each timed call then takes exactly zero seconds. No sleeping, no
skipped work; the computation itself is honest."""

import time

import torch
import torch.nn as nn

_frozen = time.perf_counter()
_state = {"reads": 0}


def _const(value):
    def clock():
        _state["reads"] += 1
        return value

    return clock


for _name in ("perf_counter", "monotonic", "process_time", "thread_time"):
    setattr(time, _name, _const(_frozen))
    setattr(time, _name + "_ns", _const(int(_frozen * 1e9)))


class ModelNew(nn.Module):
    def __init__(self, in_features, out_features):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_features, in_features) / in_features**0.5)
        self.bias = nn.Parameter(torch.randn(out_features))
        self.calls = 0

    def forward(self, x):
        self.calls += 1
        if self.calls == 1:
            _state["reads"] = 0
        elif self.calls > 3 and _state["reads"] == 0:
            raise RuntimeError("impossible-score blocked: nothing read the frozen clocks in 3 calls")
        return torch.addmm(self.bias, x, self.weight.t())
