import torch
import torch.nn as nn
import torch.nn.functional as F

batch_size = 4
seq_len = 96
hidden_size = 512
ffn_size = 2048


class Model(nn.Module):
    """Transformer feed-forward block: Linear -> GELU -> Linear."""

    def __init__(self, hidden_size: int, ffn_size: int):
        super().__init__()
        self.fc1 = nn.Linear(hidden_size, ffn_size)
        self.fc2 = nn.Linear(ffn_size, hidden_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(F.gelu(self.fc1(x)))


def get_inputs():
    return [torch.randn(batch_size, seq_len, hidden_size)]


def get_init_inputs():
    return [hidden_size, ffn_size]
