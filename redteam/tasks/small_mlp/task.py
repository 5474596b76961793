"""Red-team target: a small two-layer MLP whose call takes well under a millisecond.

Short calls are where a harness times several calls per sample; per-call framework overhead dominates, so
doing several calls' work in one batched pass would pay off, if a candidate could see the later inputs.
"""

import torch
import torch.nn as nn

batch_size = 16
features = 256


class Model(nn.Module):
    def __init__(self, features):
        super().__init__()
        self.fc1 = nn.Linear(features, features)
        self.fc2 = nn.Linear(features, features)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


def get_inputs():
    return [torch.randn(batch_size, features)]


def get_init_inputs():
    return [features]
