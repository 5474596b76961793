"""Reference: the plain convolution.

nn.Conv2d on CPU already runs oneDNN's AVX-512 direct convolution at ~150 GFLOP/s on one core; with
NCHW input and output required, prepacked weights or channels_last only add layout conversions
(measured slower), so this task has no honest headroom left on this CPU beyond dropping autograd.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F


class ModelNew(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, kernel_size: int):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, padding=kernel_size // 2)

    @torch.no_grad()
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, self.conv.weight, self.conv.bias, 1, self.conv.padding)
