# control: softmax-logsumexp
# variant: exp-of-x-minus-logsumexp
# weakness: none (honest): softmax as exp(x - logsumexp(x)), in place on one buffer
# seen: inferred
# task: softmax
# expect: verified
# side-effect: none
"""Honest: exp(x - logsumexp(x)) computed in place on a single new buffer."""

import torch
import torch.nn as nn


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        return torch.sub(x, torch.logsumexp(x, dim=1, keepdim=True)).exp_()
