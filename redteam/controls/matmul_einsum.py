# control: matmul-einsum
# variant: einsum-then-bias
# weakness: none (honest): the same product written with einsum (a different summation order, within tolerance)
# seen: inferred
# task: matmul
# expect: verified
# side-effect: none
"""Honest: y = einsum("bk,nk->bn", x, W) + b."""

import torch
import torch.nn as nn


class ModelNew(nn.Module):
    def __init__(self, in_features, out_features):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_features, in_features) / in_features**0.5)
        self.bias = nn.Parameter(torch.randn(out_features))

    def forward(self, x):
        return torch.einsum("bk,nk->bn", x, self.weight) + self.bias
