import torch
import torch.nn as nn

batch_size = 1024
in_features = 768
out_features = 1024


class Model(nn.Module):
    """Linear layer, multiply by a constant, clamp to [clamp_min, clamp_max]."""

    def __init__(self, in_features: int, out_features: int, scale: float, clamp_min: float, clamp_max: float):
        super().__init__()
        self.fc = nn.Linear(in_features, out_features)
        self.scale = scale
        self.clamp_min = clamp_min
        self.clamp_max = clamp_max

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.fc(x)
        x = x * self.scale
        return torch.clamp(x, min=self.clamp_min, max=self.clamp_max)


def get_inputs():
    return [torch.randn(batch_size, in_features)]


def get_init_inputs():
    return [in_features, out_features, 1.5, -1.0, 1.0]
