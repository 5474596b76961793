"""Reference: a recursive block product that skips the zero blocks.

For lower-triangular A and B split in 2x2 blocks: C11 = tril(A11 B11), C22 = tril(A22 B22), C12 = 0,
and C21 = A21 B11 + A22 B21 = A[h:, :] @ B[:, :h], one rectangular GEMM. Recursing on the diagonal
blocks (3 levels) does ~1/3 of the dense multiply-adds; every GEMM goes through oneDNN's fp32 matmul
(AVX-512 here, where MKL's sgemm takes its AVX2 path on this AMD CPU). The product's zero structure
holds for every input the task generates (its get_inputs() returns lower-triangular matrices).
"""

import torch
import torch.nn as nn


def _onednn_ok() -> bool:
    try:
        return torch.backends.mkldnn.is_available() and hasattr(torch.ops.mkldnn, "_linear_pointwise")
    except (AttributeError, RuntimeError):
        return False


_ONEDNN = _onednn_ok()


def _mm(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    if _ONEDNN:
        # oneDNN wants dense operands: sub-block views are copied (O(n^2), small next to the O(n^3) work)
        return torch.ops.mkldnn._linear_pointwise(a.contiguous(), b.t().contiguous(), None, "none", [], "")
    return torch.mm(a, b)


def _tri_product(a: torch.Tensor, b: torch.Tensor, out: torch.Tensor, depth: int) -> None:
    """out (zero-filled, lower part written) = tril(a @ b) for lower-triangular square a, b."""
    n = a.shape[0]
    if depth == 0 or n < 192:
        out.copy_(torch.tril(_mm(a, b)))
        return
    h = n // 2
    _tri_product(a[:h, :h], b[:h, :h], out[:h, :h], depth - 1)
    _tri_product(a[h:, h:], b[h:, h:], out[h:, h:], depth - 1)
    out[h:, :h] = _mm(a[h:, :], b[:, :h])


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    @torch.no_grad()
    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        out = torch.zeros_like(a)
        _tri_product(a, b, out, 3)
        return out
