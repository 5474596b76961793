import torch
import torch.nn as nn

batch_size = 8
seq_len = 512
hidden_size = 1536


class Model(nn.Module):
    """Residual add followed by LayerNorm (post-norm transformer sublayer output): LN(x + residual)."""

    def __init__(self, hidden_size: int):
        super().__init__()
        self.ln = nn.LayerNorm(hidden_size, eps=1e-5)
        # Trained-looking affine parameters, drawn from the global RNG right after the layer is built.
        with torch.no_grad():
            self.ln.weight.normal_(1.0, 0.5)
            self.ln.bias.normal_(0.0, 0.5)

    def forward(self, x: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        return self.ln(x + residual)


def get_inputs():
    return [torch.randn(batch_size, seq_len, hidden_size), torch.randn(batch_size, seq_len, hidden_size)]


def get_init_inputs():
    return [hidden_size]
