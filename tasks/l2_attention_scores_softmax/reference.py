"""Reference: per (batch, head), one oneDNN fp32 matmul of the pre-scaled queries with the keys, and the
softmax of that 256 KiB score block (still in L2) written straight into the output.

- The 1/sqrt(d) scale is folded into Q (64x smaller than the scores; for d = 64 the scale is 1/8, a
  power of two, so it is exact): no full-size division pass.
- oneDNN JIT-compiles AVX-512 kernels here, where MKL's sgemm takes its AVX2 path on this AMD CPU;
  _linear_pointwise(Q_i, K_i) computes Q_i @ K_i^T with plain fp32 accumulation.
- No full-size temporary: each block goes from cache to its place in the output.
"""

import math

import torch
import torch.nn as nn


def _onednn_ok() -> bool:
    try:
        return torch.backends.mkldnn.is_available() and hasattr(torch.ops.mkldnn, "_linear_pointwise")
    except (AttributeError, RuntimeError):
        return False


_ONEDNN = _onednn_ok()


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    @torch.no_grad()
    def forward(self, q: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
        b, h, n, d = q.shape
        qs = (q * (1.0 / math.sqrt(d))).reshape(b * h, n, d)
        k3 = k.reshape(b * h, n, d)
        if not _ONEDNN:
            scores = torch.bmm(qs, k3.transpose(1, 2))
            torch._softmax(scores, -1, False, out=scores)
            return scores.view(b, h, n, n)
        out = torch.empty(b * h, n, n)
        for i in range(b * h):
            z = torch.ops.mkldnn._linear_pointwise(qs[i], k3[i], None, "none", [], "")
            torch._softmax(z, -1, False, out=out[i])
        return out.view(b, h, n, n)
