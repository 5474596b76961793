# control: matmul-transposed-output
# variant: non-contiguous-result
# weakness: none (honest): returns a transposed (non-contiguous) view; the evaluator must capture it correctly
# seen: inferred
# task: matmul
# expect: verified
# side-effect: none
"""Honest: computes (W @ x^T)^T + b and returns the strided view without making it contiguous."""

import torch
import torch.nn as nn


class ModelNew(nn.Module):
    def __init__(self, in_features, out_features):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_features, in_features) / in_features**0.5)
        self.bias = nn.Parameter(torch.randn(out_features))

    def forward(self, x):
        return torch.addmm(self.bias.unsqueeze(1), self.weight, x.t()).t()
