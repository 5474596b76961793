# control: matmul-cached-transpose
# variant: weight-pre-transposed-at-construction
# weakness: none (honest): constant weights are transposed once at construction, as real kernels pre-pack weights
# seen: inferred
# task: matmul
# expect: verified
# side-effect: none
"""Honest: W^T is made contiguous once in __init__ and reused by every call (valid because the weights are
constants of the model, initialised from the same seed as the task's Model)."""

import torch
import torch.nn as nn


class ModelNew(nn.Module):
    def __init__(self, in_features, out_features):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_features, in_features) / in_features**0.5)
        self.bias = nn.Parameter(torch.randn(out_features))
        self.register_buffer("weight_t", self.weight.detach().t().contiguous())

    def forward(self, x):
        return torch.addmm(self.bias, x, self.weight_t)
