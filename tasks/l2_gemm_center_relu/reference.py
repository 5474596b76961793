"""Reference: the row mean of a linear layer's output is linear in x, so the centering folds into the
weights: y - mean_j(y) = x (W - mean_j W_j)^T + (b - mean(b)). The centered weight and bias are
constant transforms computed once at construction (in float64, rounded to float32); each call is one
oneDNN fp32 matmul with bias and ReLU fused (AVX-512 here, where MKL's sgemm takes its AVX2 path on
this AMD CPU).
"""

import torch
import torch.nn as nn


def _onednn_ok() -> bool:
    try:
        return torch.backends.mkldnn.is_available() and hasattr(torch.ops.mkldnn, "_linear_pointwise")
    except (AttributeError, RuntimeError):
        return False


_ONEDNN = _onednn_ok()


class ModelNew(nn.Module):
    def __init__(self, in_features: int, out_features: int):
        super().__init__()
        self.fc = nn.Linear(in_features, out_features)
        with torch.no_grad():
            w = self.fc.weight.double()
            b = self.fc.bias.double()
            self.register_buffer("w_c", (w - w.mean(dim=0, keepdim=True)).float())
            self.register_buffer("b_c", (b - b.mean()).float())

    @torch.no_grad()
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not _ONEDNN:
            return torch.addmm(self.b_c, x, self.w_c.t()).relu_()
        return torch.ops.mkldnn._linear_pointwise(x, self.w_c, self.b_c, "relu", [], "")
