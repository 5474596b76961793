import torch
import torch.nn as nn

batch_size = 4096
dim = 1536


class Model(nn.Module):
    """LayerNorm over the last dimension, with an elementwise affine transform."""

    def __init__(self, dim: int):
        super().__init__()
        self.ln = nn.LayerNorm(dim, eps=1e-5)
        # Trained-looking affine parameters, drawn from the global RNG right after the layer is built.
        with torch.no_grad():
            self.ln.weight.normal_(1.0, 0.5)
            self.ln.bias.normal_(0.0, 0.5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.ln(x)


def get_inputs():
    return [torch.randn(batch_size, dim) * 2.0 + 0.5]


def get_init_inputs():
    return [dim]
