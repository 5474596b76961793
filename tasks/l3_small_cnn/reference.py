"""Reference:
- each batch norm folded into its convolution at construction (W' = W * s, b' = beta - mean * s with
  s = gamma / sqrt(var + eps)), the folded weights reordered once into oneDNN's blocked layout;
- every convolution runs in oneDNN with the ReLU fused as a post-op, channels_last end to end (the
  activations are never converted back to NCHW), max pooling on channels_last (vectorized over C);
- global average pooling as a mean over H, W, and the classifier through oneDNN's fp32 matmul.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F


def _onednn_ok() -> bool:
    try:
        return (torch.backends.mkldnn.is_available() and hasattr(torch.ops.mkldnn, "_convolution_pointwise")
                and hasattr(torch.ops.mkldnn, "_linear_pointwise"))
    except (AttributeError, RuntimeError):
        return False


_ONEDNN = _onednn_ok()


def _bn_eval(x: torch.Tensor, bn: nn.BatchNorm2d) -> torch.Tensor:
    return F.batch_norm(x, bn.running_mean, bn.running_var, bn.weight, bn.bias, training=False, eps=bn.eps)


def _fold(conv: nn.Conv2d, bn: nn.BatchNorm2d):
    s = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    return (conv.weight * s.view(-1, 1, 1, 1)).contiguous(), (bn.bias - bn.running_mean * s).contiguous()


class ModelNew(nn.Module):
    def __init__(self, in_channels: int, num_classes: int):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, 32, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(32)
        self.conv2 = nn.Conv2d(32, 64, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(64)
        self.conv3 = nn.Conv2d(64, 128, 3, padding=1, bias=False)
        self.bn3 = nn.BatchNorm2d(128)
        self.fc = nn.Linear(128, num_classes)
        with torch.no_grad():
            for bn in (self.bn1, self.bn2, self.bn3):
                bn.weight.uniform_(0.5, 1.5)
                bn.bias.uniform_(-0.5, 0.5)
                bn.running_mean.uniform_(-0.5, 0.5)
                bn.running_var.uniform_(0.2, 1.0)
            # (weight, bias) per stage; weights prepacked for the default input sizes. Plain attributes:
            # oneDNN-packed (opaque) tensors have no storage to save or copy.
            self.stages = []
            hints = ([8, in_channels, 64, 64], [8, 32, 32, 32], [8, 64, 16, 16])
            for (conv, bn), hint in zip(((self.conv1, self.bn1), (self.conv2, self.bn2), (self.conv3, self.bn3)), hints):
                w, b = _fold(conv, bn)
                if _ONEDNN:
                    w = torch.ops.mkldnn._reorder_convolution_weight(w, [1, 1], [1, 1], [1, 1], 1, hint)
                self.stages.append((w, b))

    def _conv_relu(self, x, i):
        w, b = self.stages[i]
        if _ONEDNN:
            return torch.ops.mkldnn._convolution_pointwise(x, w, b, [1, 1], [1, 1], [1, 1], 1, "relu", [], "")
        return F.conv2d(x, w, b, 1, 1).relu_()

    @torch.no_grad()
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.contiguous(memory_format=torch.channels_last)
        x = F.max_pool2d(self._conv_relu(x, 0), 2)
        x = F.max_pool2d(self._conv_relu(x, 1), 2)
        x = self._conv_relu(x, 2)
        x = torch.mean(x, dim=(2, 3))
        if _ONEDNN:
            return torch.ops.mkldnn._linear_pointwise(x, self.fc.weight, self.fc.bias, "none", [], "")
        return self.fc(x)
