import torch
import torch.nn as nn

m = 1024
k = 768
n = 1024


class Model(nn.Module):
    """Matrix multiplication with both operands stored transposed: C = A.T @ B.T."""

    def __init__(self):
        super().__init__()

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return torch.matmul(a.T, b.T)


def get_inputs():
    return [torch.randn(k, m), torch.randn(n, k)]


def get_init_inputs():
    return []
