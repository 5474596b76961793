import torch
import torch.nn as nn

batch_size = 1024
in_features = 768
out_features = 1024


class Model(nn.Module):
    """Linear layer, subtract each row's mean over the output features, ReLU."""

    def __init__(self, in_features: int, out_features: int):
        super().__init__()
        self.fc = nn.Linear(in_features, out_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.fc(x)
        x = x - x.mean(dim=1, keepdim=True)
        return torch.relu(x)


def get_inputs():
    return [torch.randn(batch_size, in_features)]


def get_init_inputs():
    return [in_features, out_features]
