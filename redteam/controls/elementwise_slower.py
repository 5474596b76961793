# control: elementwise-slower
# variant: about-10-percent-slower
# weakness: none (honest): right answer with about 10% more work than the reference
# seen: inferred
# task: elementwise
# expect: verified
# side-effect: none
"""Honest but slower: the reference computation plus tanh of a tenth of the rows, thrown away."""

import torch
import torch.nn as nn


class ModelNew(nn.Module):
    def __init__(self, scale):
        super().__init__()
        self.scale = scale

    def forward(self, x):
        torch.tanh(x[: max(1, x.shape[0] // 10)])
        return torch.tanh(x) * self.scale
