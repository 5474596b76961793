"""Starting solution: a plain, straightforward equivalent of the task's Model."""

import torch
import torch.nn as nn


class ModelNew(nn.Module):
    """Single-layer LSTM over a short sequence, written out step by step with two Linear layers.

    Gate order (input, forget, cell, output) matches torch.nn.LSTM. Returns every step's hidden state.
    """

    def __init__(self, input_size: int, hidden_size: int):
        super().__init__()
        self.hidden_size = hidden_size
        self.x2h = nn.Linear(input_size, 4 * hidden_size)
        self.h2h = nn.Linear(hidden_size, 4 * hidden_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, _ = x.shape
        h = torch.zeros(b, self.hidden_size)
        c = torch.zeros(b, self.hidden_size)
        outputs = []
        for step in range(t):
            gates = self.x2h(x[:, step]) + self.h2h(h)
            i, f, g, o = gates.chunk(4, dim=1)
            i = torch.sigmoid(i)
            f = torch.sigmoid(f)
            g = torch.tanh(g)
            o = torch.sigmoid(o)
            c = f * c + i * g
            h = o * torch.tanh(c)
            outputs.append(h)
        return torch.stack(outputs, dim=1)
