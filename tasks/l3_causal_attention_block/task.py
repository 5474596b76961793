import math

import torch
import torch.nn as nn

batch_size = 2
seq_len = 256
d_model = 384
num_heads = 6


class Model(nn.Module):
    """GPT-style pre-norm causal self-attention block, written out: x + W_o(CausalAttn(LN(x)))."""

    def __init__(self, d_model: int, num_heads: int):
        super().__init__()
        self.num_heads = num_heads
        self.ln = nn.LayerNorm(d_model)
        self.q_proj = nn.Linear(d_model, d_model)
        self.k_proj = nn.Linear(d_model, d_model)
        self.v_proj = nn.Linear(d_model, d_model)
        self.out_proj = nn.Linear(d_model, d_model)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, d = x.shape
        h = self.num_heads
        y = self.ln(x)
        q = self.q_proj(y).view(b, n, h, d // h).transpose(1, 2)
        k = self.k_proj(y).view(b, n, h, d // h).transpose(1, 2)
        v = self.v_proj(y).view(b, n, h, d // h).transpose(1, 2)
        scores = torch.matmul(q, k.transpose(-2, -1)) / math.sqrt(d // h)
        mask = torch.triu(torch.ones(n, n, dtype=torch.bool), diagonal=1)
        scores = scores.masked_fill(mask, float("-inf"))
        attn = torch.softmax(scores, dim=-1)
        ctx = torch.matmul(attn, v).transpose(1, 2).reshape(b, n, d)
        return x + self.out_proj(ctx)


def get_inputs():
    return [torch.randn(batch_size, seq_len, d_model)]


def get_init_inputs():
    return [d_model, num_heads]
