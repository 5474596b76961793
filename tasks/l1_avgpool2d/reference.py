"""Reference: a 3x3 box filter is separable: sum 3 shifted rows, then 3 shifted columns, scale by 1/9.

One zero-padding copy and five vectorized elementwise passes over shifted views replace ATen's NCHW
average-pool kernel, which walks every 3x3 window element by element.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F


class ModelNew(nn.Module):
    def __init__(self, kernel_size: int, stride: int, padding: int):
        super().__init__()
        self.pool = nn.AvgPool2d(kernel_size, stride=stride, padding=padding)
        self.separable = (kernel_size, stride, padding) == (3, 1, 1)

    @torch.no_grad()
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.separable:
            return self.pool(x)
        h, w = x.shape[-2:]
        xp = F.pad(x, (1, 1, 1, 1))
        v = torch.add(xp[:, :, 0:h], xp[:, :, 1:h + 1])
        v += xp[:, :, 2:h + 2]
        out = torch.add(v[..., 0:w], v[..., 1:w + 1])
        out += v[..., 2:w + 2]
        return out.mul_(1.0 / 9.0)
