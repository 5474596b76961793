"""Reference: the same product through oneDNN's fp32 matmul (what Inductor's CPU backend calls).

On this AMD EPYC host MKL's sgemm takes its AVX2 path, while oneDNN JIT-compiles AVX-512 kernels:
about twice the fp32 FLOP rate with ordinary fp32 accumulation (no reduced-precision math mode).
torch.ops.mkldnn._linear_pointwise(X, W, None, ...) computes X @ W.T; W = B.T is passed as a view.
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
            return torch.matmul(a, b)
        return torch.ops.mkldnn._linear_pointwise(a, b.t(), None, "none", [], "")
