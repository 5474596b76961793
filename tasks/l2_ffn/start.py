"""Starting solution: a plain, straightforward equivalent of the task's Model."""

import torch
import torch.nn as nn
import torch.nn.functional as F


class ModelNew(nn.Module):
    """Transformer feed-forward block: Linear -> GELU -> Linear."""

    def __init__(self, hidden_size: int, ffn_size: int):
        super().__init__()
        self.fc1 = nn.Linear(hidden_size, ffn_size)
        self.fc2 = nn.Linear(ffn_size, hidden_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(F.gelu(self.fc1(x)))
