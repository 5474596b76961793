"""Reference: batch norm folded into the convolution, ReLU applied in place.

At construction (constant weight transforms): s = gamma / sqrt(running_var + eps), W' = W * s,
b' = beta - running_mean * s. Each call is then one convolution (ATen -> oneDNN, NCHW in and out)
with the folded bias, and an in-place ReLU: the separate batch-norm pass and its full-size temporary
are gone. (A oneDNN ReLU post-op with prepacked weights returns channels_last, and the conversion
back to NCHW costs more than the in-place ReLU on this CPU.)
"""

import torch
import torch.nn as nn
import torch.nn.functional as F


class ModelNew(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, kernel_size: int):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, padding=kernel_size // 2, bias=False)
        self.bn = nn.BatchNorm2d(out_channels)
        with torch.no_grad():
            self.bn.weight.uniform_(0.5, 1.5)
            self.bn.bias.uniform_(-0.5, 0.5)
            self.bn.running_mean.uniform_(-0.5, 0.5)
            self.bn.running_var.uniform_(0.2, 1.0)
            s = self.bn.weight / torch.sqrt(self.bn.running_var + self.bn.eps)
            self.register_buffer("w_fold", (self.conv.weight * s.view(-1, 1, 1, 1)).contiguous())
            self.register_buffer("b_fold", (self.bn.bias - self.bn.running_mean * s).contiguous())
        self.pad = kernel_size // 2

    @torch.no_grad()
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, self.w_fold, self.b_fold, 1, self.pad).relu_()
