"""Reference: each layer is one oneDNN fp32 matmul with its bias and ReLU fused as post-ops.

On this AMD EPYC host MKL's sgemm takes its AVX2 path while oneDNN JIT-compiles AVX-512 kernels
(plain fp32 accumulation). torch.ops.mkldnn._linear_pointwise is what Inductor's CPU backend emits.
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
    def __init__(self, input_size: int, hidden_size: int, output_size: int):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(input_size, hidden_size),
            nn.ReLU(),
            nn.Linear(hidden_size, hidden_size),
            nn.ReLU(),
            nn.Linear(hidden_size, output_size),
        )

    @torch.no_grad()
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not _ONEDNN:
            return self.net(x)
        lp = torch.ops.mkldnn._linear_pointwise
        fc1, fc2, fc3 = self.net[0], self.net[2], self.net[4]
        x = lp(x, fc1.weight, fc1.bias, "relu", [], "")
        x = lp(x, fc2.weight, fc2.bias, "relu", [], "")
        return lp(x, fc3.weight, fc3.bias, "none", [], "")
