import math

import torch
import torch.nn as nn
import torch.nn.functional as F

batch_size = 2
seq_len = 128
d_model = 512
num_heads = 8
ffn_size = 2048


class Model(nn.Module):
    """Post-norm transformer encoder layer (BERT style, no dropout), written out with nn.Linear/LayerNorm:
    x = LN1(x + Attn(x)); x = LN2(x + FFN(x)), with multi-head softmax attention and a GELU FFN.
    """

    def __init__(self, d_model: int, num_heads: int, ffn_size: int):
        super().__init__()
        self.num_heads = num_heads
        self.q_proj = nn.Linear(d_model, d_model)
        self.k_proj = nn.Linear(d_model, d_model)
        self.v_proj = nn.Linear(d_model, d_model)
        self.out_proj = nn.Linear(d_model, d_model)
        self.ln1 = nn.LayerNorm(d_model)
        self.fc1 = nn.Linear(d_model, ffn_size)
        self.fc2 = nn.Linear(ffn_size, d_model)
        self.ln2 = nn.LayerNorm(d_model)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, d = x.shape
        h = self.num_heads
        q = self.q_proj(x).view(b, n, h, d // h).transpose(1, 2)
        k = self.k_proj(x).view(b, n, h, d // h).transpose(1, 2)
        v = self.v_proj(x).view(b, n, h, d // h).transpose(1, 2)
        scores = torch.matmul(q, k.transpose(-2, -1)) / math.sqrt(d // h)
        attn = torch.softmax(scores, dim=-1)
        ctx = torch.matmul(attn, v).transpose(1, 2).reshape(b, n, d)
        x = self.ln1(x + self.out_proj(ctx))
        x = self.ln2(x + self.fc2(F.gelu(self.fc1(x))))
        return x


def get_inputs():
    return [torch.randn(batch_size, seq_len, d_model)]


def get_init_inputs():
    return [d_model, num_heads, ffn_size]
