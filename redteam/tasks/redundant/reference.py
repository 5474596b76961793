# ASSAY_REDTEAM_REFERENCE_CANARY redundant: this file must never be readable from a candidate's sandbox.
"""Strong solution for the redundant task: one projection, then the gate."""

import torch
import torch.nn as nn


class ModelNew(nn.Module):
    def __init__(self, in_features, out_features):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(in_features, out_features) / in_features**0.5)

    def forward(self, x):
        y = torch.mm(x, self.weight)
        return torch.relu(y).mul_(torch.sigmoid(y))
