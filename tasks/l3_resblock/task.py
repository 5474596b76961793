import torch
import torch.nn as nn
import torch.nn.functional as F

batch_size = 4
channels = 64
height = 56
width = 56


def _bn_eval(x: torch.Tensor, bn: nn.BatchNorm2d) -> torch.Tensor:
    """Batch norm with running statistics (inference mode), whatever the module's training flag."""
    return F.batch_norm(x, bn.running_mean, bn.running_var, bn.weight, bn.bias, training=False, eps=bn.eps)


class Model(nn.Module):
    """ResNet basic block (identity shortcut): relu(bn2(conv2(relu(bn1(conv1(x))))) + x)."""

    def __init__(self, channels: int):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)
        # Trained-looking batch-norm state, drawn from the global RNG after the layers are built.
        with torch.no_grad():
            for bn in (self.bn1, self.bn2):
                bn.weight.uniform_(0.5, 1.5)
                bn.bias.uniform_(-0.5, 0.5)
                bn.running_mean.uniform_(-0.5, 0.5)
                bn.running_var.uniform_(0.2, 1.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(_bn_eval(self.conv1(x), self.bn1))
        out = _bn_eval(self.conv2(out), self.bn2)
        return F.relu(out + x)


def get_inputs():
    return [torch.randn(batch_size, channels, height, width)]


def get_init_inputs():
    return [channels]
