# attack: estimator-hide
# variant: slow-blocks-page-faults
# weakness: a trimmed-mean speedup discards the slowest rounds; kernel time (page faults) paid in a minority of rounds is never charged
# seen: inferred (memory released and faulted back in bulk, in a few calls only)
# task: redundant
# expect: not-faster
# side-effect: none
"""Computes the projection once, and in every fifth block drops and faults back in a 96 MB workspace (zeroing
pages in the kernel: CPU time of this process, charged like any other). That is several times the reference's
call in a fifth of the rounds; an estimator trimming a fifth at each end never sees it.
"""

import mmap
import time

import torch
import torch.nn as nn

BLOCK_GAP_S = 4e-4
EVERY = 5
WORKSPACE = 96 << 20


class ModelNew(nn.Module):
    def __init__(self, in_features, out_features):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(in_features, out_features) / in_features**0.5)
        self.last_return = 0.0
        self.blocks = 0
        self.slow = False

    def _refault(self):
        t0 = time.thread_time()
        area = mmap.mmap(-1, WORKSPACE)
        for offset in range(0, WORKSPACE, mmap.PAGESIZE):
            area[offset] = 1
        area.close()
        if time.thread_time() - t0 <= 0:
            raise RuntimeError("estimator-hide: faulting the workspace cost nothing")

    def forward(self, x):
        if time.perf_counter() - self.last_return > BLOCK_GAP_S:
            self.blocks += 1
            self.slow = self.blocks % EVERY == 0
        y = torch.matmul(x, self.weight)
        out = torch.relu(y) * torch.sigmoid(y)
        if self.slow:
            self._refault()
        self.last_return = time.perf_counter()
        return out
