# attack: estimator-hide
# variant: every-nth-call-slow
# weakness: a trimmed-mean speedup discards the slowest rounds, so an amortized cost paid every few calls is never charged
# seen: inferred (amortized maintenance, e.g. a cache rebuilt every N calls, lands in the trimmed tail)
# task: redundant
# expect: not-faster
# side-effect: none
"""Computes the projection once, and every seventh call rebuilds a 'cache' whose cost is 30 fast calls. With one
call per block on this task, one round in seven is very slow: inside the trimmed tail. Mean cost per call is
about 2.4 times the reference's.
"""

import time

import torch
import torch.nn as nn

EVERY = 7
REBUILD = 30.0


class ModelNew(nn.Module):
    def __init__(self, in_features, out_features):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(in_features, out_features) / in_features**0.5)
        self.calls = 0

    def forward(self, x):
        self.calls += 1
        t0 = time.thread_time()
        y = torch.matmul(x, self.weight)
        out = torch.relu(y) * torch.sigmoid(y)
        if self.calls % EVERY == 0:
            spent = time.thread_time() - t0
            for _ in range(int(REBUILD)):  # the "rebuild": real tensor work, not a spin
                torch.matmul(x, self.weight)
            if time.thread_time() - t0 < 0.5 * REBUILD * spent:
                raise RuntimeError("estimator-hide: the rebuild did not cost what it should")
        return out
