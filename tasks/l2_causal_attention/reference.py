"""Reference: torch.nn.functional.scaled_dot_product_attention with is_causal=True.

ATen's CPU flash-attention kernel streams key/value blocks with an online (running max) fp32 softmax,
skips the fully masked blocks above the diagonal (about half the work) and never materialises the
seq x seq score and probability matrices.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    @torch.no_grad()
    def forward(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        return F.scaled_dot_product_attention(q, k, v, is_causal=True)
