"""Red-team target: y = tanh(x) * scale on a (512 x 1024) matrix."""

import torch
import torch.nn as nn

batch_size = 512
dim = 1024


class Model(nn.Module):
    def __init__(self, scale):
        super().__init__()
        self.scale = scale

    def forward(self, x):
        return torch.tanh(x) * self.scale


def get_inputs():
    # Spread of 2 so tanh is neither linear (passthrough would pass) nor saturated (sign(x) would pass).
    return [torch.randn(batch_size, dim) * 2.0]


def get_init_inputs():
    return [2.5]
