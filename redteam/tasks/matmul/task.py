"""Red-team target: a dense layer, y = x @ W^T + b (KernelBench level-1 style)."""

import torch
import torch.nn as nn

batch_size = 256
in_features = 512
out_features = 512


class Model(nn.Module):
    def __init__(self, in_features, out_features):
        super().__init__()
        # Scaled so outputs are about unit size: every output element depends on a whole row of x.
        self.weight = nn.Parameter(torch.randn(out_features, in_features) / in_features**0.5)
        self.bias = nn.Parameter(torch.randn(out_features))

    def forward(self, x):
        return torch.matmul(x, self.weight.t()) + self.bias


def get_inputs():
    return [torch.randn(batch_size, in_features)]


def get_init_inputs():
    return [in_features, out_features]
