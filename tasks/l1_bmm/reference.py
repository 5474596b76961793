"""Reference: one oneDNN fp32 matmul per batch entry, written straight into the output tensor's slices.

On this AMD EPYC host MKL's sgemm takes its AVX2 path, while oneDNN JIT-compiles AVX-512 kernels
(plain fp32 accumulation). _linear_pointwise(X, W) computes X @ W.T, so W = B[i].T (a view).
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
    def __init__(self):
        super().__init__()

    @torch.no_grad()
    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        if not _ONEDNN:
            return torch.bmm(a, b)
        lp = torch.ops.mkldnn._linear_pointwise
        return torch.stack([lp(a[i], b[i].t(), None, "none", [], "") for i in range(a.shape[0])])
