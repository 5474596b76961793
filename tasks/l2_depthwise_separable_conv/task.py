import torch
import torch.nn as nn
import torch.nn.functional as F

batch_size = 8
channels = 64
out_channels = 128
height = 56
width = 56


class Model(nn.Module):
    """Depthwise-separable convolution (MobileNet block): depthwise 3x3 conv -> pointwise 1x1 conv -> ReLU."""

    def __init__(self, channels: int, out_channels: int):
        super().__init__()
        self.depthwise = nn.Conv2d(channels, channels, 3, padding=1, groups=channels)
        self.pointwise = nn.Conv2d(channels, out_channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.pointwise(self.depthwise(x)))


def get_inputs():
    return [torch.randn(batch_size, channels, height, width)]


def get_init_inputs():
    return [channels, out_channels]
