"""Reference: one C++ kernel for add + LayerNorm, so the sum x + residual never goes to memory.

Per row (1536 floats, in L1): pass 1 writes s = x + r into the output row and sums it; pass 2 sums
(s - mean)^2 (two-pass variance, as accurate as ATen's); pass 3 rewrites the row as
(s - mean) * rstd * weight + bias. Memory traffic: read x and r once, write y once (ATen: the add
writes and re-reads a full temporary). GCC vector extensions, -O3 -march=native (AVX-512 here).
Built at import (the evaluator's compile phase), never lazily in forward.
"""

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

_CPP = r'''
#include <torch/extension.h>
#include <ATen/Parallel.h>
#include <cmath>

typedef float vf __attribute__((vector_size(64)));
typedef float vfu __attribute__((vector_size(64), aligned(4)));
static constexpr int W = 16;
static inline vf loadu(const float* p) { return *(const vfu*)p; }
static inline void storeu(float* p, vf v) { *(vfu*)p = v; }
static inline float hsum(vf v) { float s = 0.f; for (int i = 0; i < W; ++i) s += v[i]; return s; }

static void add_ln_rows(const float* x, const float* r, const float* g, const float* b, float* y,
                        int64_t rows, int64_t d, float eps) {
  const int64_t dv = d - d % W;
  for (int64_t row = 0; row < rows; ++row) {
    const float* xr = x + row * d;
    const float* rr = r + row * d;
    float* yr = y + row * d;
    vf a0 = {0}, a1 = {0};
    int64_t i = 0;
    for (; i + 2 * W <= dv; i += 2 * W) {
      vf s0 = loadu(xr + i) + loadu(rr + i), s1 = loadu(xr + i + W) + loadu(rr + i + W);
      storeu(yr + i, s0); storeu(yr + i + W, s1); a0 += s0; a1 += s1;
    }
    for (; i < dv; i += W) { vf s0 = loadu(xr + i) + loadu(rr + i); storeu(yr + i, s0); a0 += s0; }
    float tail = 0.f;
    for (; i < d; ++i) { float s = xr[i] + rr[i]; yr[i] = s; tail += s; }
    const float mean = (hsum(a0 + a1) + tail) / (float)d;
    vf mv = mean - (vf){0};
    vf q0 = {0}, q1 = {0};
    for (i = 0; i + 2 * W <= dv; i += 2 * W) {
      vf c0 = loadu(yr + i) - mv, c1 = loadu(yr + i + W) - mv;
      q0 += c0 * c0; q1 += c1 * c1;
    }
    for (; i < dv; i += W) { vf c0 = loadu(yr + i) - mv; q0 += c0 * c0; }
    float qt = 0.f;
    for (; i < d; ++i) { float c = yr[i] - mean; qt += c * c; }
    const float rstd = 1.0f / std::sqrt((hsum(q0 + q1) + qt) / (float)d + eps);
    vf rv = rstd - (vf){0};
    for (i = 0; i < dv; i += W) storeu(yr + i, (loadu(yr + i) - mv) * rv * loadu(g + i) + loadu(b + i));
    for (; i < d; ++i) yr[i] = (yr[i] - mean) * rstd * g[i] + b[i];
  }
}

torch::Tensor add_layer_norm(torch::Tensor x, torch::Tensor r, torch::Tensor g, torch::Tensor b, double eps) {
  TORCH_CHECK(x.scalar_type() == torch::kFloat32 && r.scalar_type() == torch::kFloat32 && x.sizes() == r.sizes(),
              "expected two float32 tensors of the same shape");
  const int64_t d = x.size(-1);
  TORCH_CHECK(g.numel() == d && b.numel() == d, "weight/bias size mismatch");
  x = x.contiguous(); r = r.contiguous(); g = g.contiguous(); b = b.contiguous();
  auto y = torch::empty_like(x);
  const int64_t rows = d ? x.numel() / d : 0;
  const float *xp = x.data_ptr<float>(), *rp = r.data_ptr<float>(), *gp = g.data_ptr<float>(), *bp = b.data_ptr<float>();
  float* yp = y.data_ptr<float>();
  const float e = (float)eps;
  at::parallel_for(0, rows, 16, [&](int64_t s, int64_t t) {
    add_ln_rows(xp + s * d, rp + s * d, gp, bp, yp + s * d, t - s, d, e);
  });
  return y;
}
'''

_ext = load_inline(
    name="assay_ref_add_layernorm_v1",
    cpp_sources=_CPP,
    functions=["add_layer_norm"],
    extra_cflags=["-O3", "-march=native"],
    verbose=False,
)


class ModelNew(nn.Module):
    def __init__(self, hidden_size: int):
        super().__init__()
        self.ln = nn.LayerNorm(hidden_size, eps=1e-5)
        with torch.no_grad():
            self.ln.weight.normal_(1.0, 0.5)
            self.ln.bias.normal_(0.0, 0.5)

    @torch.no_grad()
    def forward(self, x: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        return _ext.add_layer_norm(x, residual, self.ln.weight, self.ln.bias, self.ln.eps)
