"""Reference: two oneDNN fp32 matmuls, the first with bias + exact GELU fused as post-ops.

On this AMD EPYC host MKL's sgemm takes its AVX2 path while oneDNN JIT-compiles AVX-512 kernels
(plain fp32 accumulation). torch.ops.mkldnn._linear_pointwise is what Inductor's CPU backend emits.
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
    def __init__(self, hidden_size: int, ffn_size: int):
        super().__init__()
        self.fc1 = nn.Linear(hidden_size, ffn_size)
        self.fc2 = nn.Linear(ffn_size, hidden_size)

    @torch.no_grad()
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not _ONEDNN:
            return self.fc2(F.gelu(self.fc1(x)))
        lp = torch.ops.mkldnn._linear_pointwise
        h = lp(x, self.fc1.weight, self.fc1.bias, "gelu", [], "none")
        return lp(h, self.fc2.weight, self.fc2.bias, "none", [], "")
