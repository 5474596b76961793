"""Starting solution: a plain, straightforward equivalent of the task's Model."""

import torch
import torch.nn as nn
import torch.nn.functional as F


def _bn_eval(x: torch.Tensor, bn: nn.BatchNorm2d) -> torch.Tensor:
    """Batch norm with running statistics (inference mode), whatever the module's training flag."""
    return F.batch_norm(x, bn.running_mean, bn.running_var, bn.weight, bn.bias, training=False, eps=bn.eps)


class ModelNew(nn.Module):
    """Small image classifier: 3 x (conv3x3 -> BatchNorm (inference) -> ReLU), 2x2 max pooling after the
    first two, global average pooling, linear classifier."""

    def __init__(self, in_channels: int, num_classes: int):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, 32, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(32)
        self.conv2 = nn.Conv2d(32, 64, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(64)
        self.conv3 = nn.Conv2d(64, 128, 3, padding=1, bias=False)
        self.bn3 = nn.BatchNorm2d(128)
        self.fc = nn.Linear(128, num_classes)
        # Trained-looking batch-norm state, drawn from the global RNG after the layers are built.
        with torch.no_grad():
            for bn in (self.bn1, self.bn2, self.bn3):
                bn.weight.uniform_(0.5, 1.5)
                bn.bias.uniform_(-0.5, 0.5)
                bn.running_mean.uniform_(-0.5, 0.5)
                bn.running_var.uniform_(0.2, 1.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.max_pool2d(F.relu(_bn_eval(self.conv1(x), self.bn1)), 2)
        x = F.max_pool2d(F.relu(_bn_eval(self.conv2(x), self.bn2)), 2)
        x = F.relu(_bn_eval(self.conv3(x), self.bn3))
        x = torch.mean(x, dim=(2, 3))
        return self.fc(x)
