# attack: stale-output-mem
# variant: torch-empty-nop
# weakness: the reference runs first in the same process and frees its output, so an uninitialised buffer may already hold the answer
# seen: reference-kernels problems/pmpp_v2/*/solutions/wrong/empty.py; KernelBench src/kernelbench/unit_tests/test_kernels/result_reuse_kernel.py (PR #82)
# task: elementwise
# expect: incorrect
# side-effect: none
"""Return an uninitialised tensor of the right shape and never write it (the "nop kernel")."""

import torch
import torch.nn as nn


class ModelNew(nn.Module):
    def __init__(self, scale):
        super().__init__()
        self.scale = scale

    def forward(self, x):
        return torch.empty(x.shape, dtype=x.dtype)
