import torch
import torch.nn as nn

batch_size = 1024
in_features = 768
out_features = 1024


class Model(nn.Module):
    """Linear layer, then y + scale * sigmoid(y) (gated residual)."""

    def __init__(self, in_features: int, out_features: int, scale: float):
        super().__init__()
        self.fc = nn.Linear(in_features, out_features)
        self.scale = scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.fc(x)
        original = x
        x = torch.sigmoid(x)
        x = x * self.scale
        return x + original


def get_inputs():
    return [torch.randn(batch_size, in_features)]


def get_init_inputs():
    return [in_features, out_features, 2.0]
