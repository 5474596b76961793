"""Reference: oneDNN fp32 matmul. _linear_pointwise(X, W) computes X @ W.T, so C = A.T @ B.T is
_linear_pointwise(A.T, B): B (n, k) is already the weight layout oneDNN wants, and A.T is copied once
into a contiguous (m, k) buffer (cheap next to the product).

On this AMD EPYC host MKL's sgemm takes its AVX2 path; oneDNN JIT-compiles AVX-512 kernels with
plain fp32 accumulation.
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
            return torch.matmul(a.T, b.T)
        return torch.ops.mkldnn._linear_pointwise(a.t().contiguous(), b, None, "none", [], "")
