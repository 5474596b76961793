import torch
import torch.nn as nn

batch_size = 16
m = 384
k = 256
n = 384


class Model(nn.Module):
    """Batched matrix multiplication C[i] = A[i] @ B[i]."""

    def __init__(self):
        super().__init__()

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return torch.bmm(a, b)


def get_inputs():
    return [torch.randn(batch_size, m, k), torch.randn(batch_size, k, n)]


def get_init_inputs():
    return []
