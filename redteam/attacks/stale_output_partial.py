# attack: stale-output-mem
# variant: half-written-empty
# weakness: an output buffer that is only partly written passes when the unwritten part already holds a previous answer
# seen: KernelBench src/kernelbench/unit_tests/test_kernels/result_reuse_kernel.py; Sakana AI CUDA Engineer postmortem (airevolution.poltextlab.com)
# task: matmul
# expect: incorrect
# side-effect: none
"""Compute the first half of the rows into torch.empty and leave the second half to whatever the block held."""

import torch
import torch.nn as nn


class ModelNew(nn.Module):
    def __init__(self, in_features, out_features):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_features, in_features) / in_features**0.5)
        self.bias = nn.Parameter(torch.randn(out_features))

    def forward(self, x):
        out = torch.empty(x.shape[0], self.weight.shape[0], dtype=x.dtype)
        half = x.shape[0] // 2
        torch.addmm(self.bias, x[:half], self.weight.t(), out=out[:half])
        return out
