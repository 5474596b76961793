# ASSAY_REDTEAM_REFERENCE_CANARY elementwise: this file must never be readable from a candidate's sandbox.
"""Strong solution for the elementwise task: tanh, then scale in place (one allocation, two passes)."""

import torch
import torch.nn as nn


class ModelNew(nn.Module):
    def __init__(self, scale):
        super().__init__()
        self.scale = scale

    def forward(self, x):
        return torch.tanh(x).mul_(self.scale)
