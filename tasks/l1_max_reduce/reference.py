"""Reference: torch.amax, the values-only max reduction.

torch.max(x, dim) also computes the argmax indices (a second output tensor and an index comparison
per element) and runs a slower kernel; amax is a plain vectorized reduction across the contiguous
last dimension. Both propagate NaN.
"""

import torch
import torch.nn as nn


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.amax(x, dim=1)
