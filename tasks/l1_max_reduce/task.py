import torch
import torch.nn as nn

batch_size = 64
dim1 = 256
dim2 = 384


class Model(nn.Module):
    """Max reduction over the middle dimension of a (batch_size, dim1, dim2) tensor (values only)."""

    def __init__(self):
        super().__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.max(x, dim=1)[0]


def get_inputs():
    # Columns with different spreads and offsets, so the maxima vary widely.
    scale = torch.rand(batch_size, 1, dim2) * 3.0 + 0.1
    offset = torch.randn(batch_size, 1, dim2) * 2.0
    return [torch.randn(batch_size, dim1, dim2) * scale + offset]


def get_init_inputs():
    return []
