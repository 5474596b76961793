# attack: partial-output
# variant: half-rows-zeros
# weakness: a check on sampled elements or with a mismatch-ratio allowance passes when only part of the output is computed
# seen: reference-kernels problems/amd_202602/utils.py match_reference(tol_err_ratio=0.05); pygpubench README (random block order)
# task: matmul
# expect: incorrect
# side-effect: none
"""Compute every other row and leave the rest zero: half the work, half the time."""

import torch
import torch.nn as nn


class ModelNew(nn.Module):
    def __init__(self, in_features, out_features):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_features, in_features) / in_features**0.5)
        self.bias = nn.Parameter(torch.randn(out_features))

    def forward(self, x):
        out = torch.zeros(x.shape[0], self.weight.shape[0], dtype=x.dtype)
        out[::2] = torch.addmm(self.bias, x[::2], self.weight.t())
        return out
