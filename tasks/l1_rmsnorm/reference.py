"""Reference: the sum of squares comes from one vector_norm reduction (no x**2 temporary), the per-row
factor rsqrt(norm^2 / d + eps) is tiny, and the output is produced by one multiply plus one in-place
multiply by the weight instead of a division and a second full-size temporary.
"""

import torch
import torch.nn as nn


class ModelNew(nn.Module):
    def __init__(self, hidden_size: int, eps: float):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(1.0 + 0.1 * torch.randn(hidden_size))

    @torch.no_grad()
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        d = x.shape[-1]
        s = torch.linalg.vector_norm(x, dim=-1, keepdim=True)
        s.square_().mul_(1.0 / d).add_(self.eps).rsqrt_()
        return torch.mul(x, s).mul_(self.weight)
