"""Reference: one oneDNN fp32 matmul with the bias and the residual add fused as post-ops
(_linear_pointwise.binary "add"), then ATen's fused LayerNorm kernel.

On this AMD EPYC host MKL's sgemm takes its AVX2 path while oneDNN JIT-compiles AVX-512 kernels
(plain fp32 accumulation).
"""

import torch
import torch.nn as nn
import torch.nn.functional as F


def _onednn_ok() -> bool:
    try:
        return torch.backends.mkldnn.is_available() and hasattr(torch.ops.mkldnn, "_linear_pointwise")
    except (AttributeError, RuntimeError):
        return False


_ONEDNN = _onednn_ok()


class ModelNew(nn.Module):
    def __init__(self, hidden_size: int):
        super().__init__()
        self.dense = nn.Linear(hidden_size, hidden_size)
        self.ln = nn.LayerNorm(hidden_size, eps=1e-5)
        with torch.no_grad():
            self.ln.weight.normal_(1.0, 0.5)
            self.ln.bias.normal_(0.0, 0.5)

    @torch.no_grad()
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if _ONEDNN:
            h = torch.ops.mkldnn._linear_pointwise.binary(x, x, self.dense.weight, self.dense.bias, "add")
        else:
            h = self.dense(x).add_(x)
        return F.layer_norm(h, self.ln.normalized_shape, self.ln.weight, self.ln.bias, self.ln.eps)
