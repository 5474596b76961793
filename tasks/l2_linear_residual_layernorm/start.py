"""Starting solution: a plain, straightforward equivalent of the task's Model."""

import torch
import torch.nn as nn


class ModelNew(nn.Module):
    """Transformer output sublayer: LayerNorm(x + Linear(x))."""

    def __init__(self, hidden_size: int):
        super().__init__()
        self.dense = nn.Linear(hidden_size, hidden_size)
        self.ln = nn.LayerNorm(hidden_size, eps=1e-5)
        # Trained-looking affine parameters, drawn from the global RNG right after the layers are built.
        with torch.no_grad():
            self.ln.weight.normal_(1.0, 0.5)
            self.ln.bias.normal_(0.0, 0.5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.ln(x + self.dense(x))
