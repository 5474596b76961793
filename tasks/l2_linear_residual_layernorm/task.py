import torch
import torch.nn as nn

batch_size = 8
seq_len = 128
hidden_size = 768


class Model(nn.Module):
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


def get_inputs():
    return [torch.randn(batch_size, seq_len, hidden_size)]


def get_init_inputs():
    return [hidden_size]
