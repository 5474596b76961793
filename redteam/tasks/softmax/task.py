"""Red-team target: row softmax of a (512 x 4096) matrix whose rows span small and large magnitudes."""

import torch
import torch.nn as nn

batch_size = 512
dim = 4096


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        return torch.softmax(x, dim=1)


def get_inputs():
    # Row scales from 0.1 to 40: near-uniform rows defeat "one-hot at the argmax" shortcuts, and rows
    # with logits above 88 overflow exp() in float32 unless the row maximum is subtracted first.
    scale = torch.logspace(-1.0, 1.6, batch_size).unsqueeze(1)
    return [torch.randn(batch_size, dim) * scale]


def get_init_inputs():
    return []
