"""Starting solution: a plain, straightforward equivalent of the task's Model."""

import torch
import torch.nn as nn


class ModelNew(nn.Module):
    """Multi-layer perceptron: Linear -> ReLU -> Linear -> ReLU -> Linear."""

    def __init__(self, input_size: int, hidden_size: int, output_size: int):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(input_size, hidden_size),
            nn.ReLU(),
            nn.Linear(hidden_size, hidden_size),
            nn.ReLU(),
            nn.Linear(hidden_size, output_size),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)
