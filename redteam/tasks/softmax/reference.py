# ASSAY_REDTEAM_REFERENCE_CANARY softmax: this file must never be readable from a candidate's sandbox.
"""Strong solution for the softmax task (the built-in kernel is already one fused pass)."""

import torch
import torch.nn as nn


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        return torch.softmax(x, dim=1)
