"""Reference: the 3x3/stride-2 max is separable: a max over 3 strided rows, then over 3 strided columns.

ATen's NCHW max-pool kernel walks every window element by element; four vectorized elementwise
torch.maximum passes over strided views (after one -inf padding copy) do the same comparisons far
faster. torch.maximum propagates NaN like max_pool2d does.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F


class ModelNew(nn.Module):
    def __init__(self, kernel_size: int, stride: int, padding: int):
        super().__init__()
        self.pool = nn.MaxPool2d(kernel_size, stride=stride, padding=padding)
        self.separable = (kernel_size, stride, padding) == (3, 2, 1)

    @torch.no_grad()
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.separable:
            return self.pool(x)
        h, w = x.shape[-2:]
        ho, wo = (h - 1) // 2 + 1, (w - 1) // 2 + 1
        xp = F.pad(x, (1, 1, 1, 1), value=float("-inf"))
        v = torch.maximum(xp[:, :, 0:2 * ho:2], xp[:, :, 1:2 * ho + 1:2])
        torch.maximum(v, xp[:, :, 2:2 * ho + 2:2], out=v)
        out = torch.maximum(v[..., 0:2 * wo:2], v[..., 1:2 * wo + 1:2])
        torch.maximum(out, v[..., 2:2 * wo + 2:2], out=out)
        return out
