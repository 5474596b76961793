"""Reference: a vectorized C++ scan.

Each block of 16 floats gets an in-register inclusive scan (4 shift+add steps), and is then added to
the running row total, which is carried in double precision (as ATen's cumsum accumulates in double),
so long rows keep their accuracy; results are rounded to float32 once.
Built at import (the evaluator's compile phase), never lazily in forward.
"""

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

_CPP = r'''
#include <torch/extension.h>
#include <ATen/Parallel.h>

typedef float vf __attribute__((vector_size(64)));
typedef float vfu __attribute__((vector_size(64), aligned(4)));
typedef int vi __attribute__((vector_size(64)));
typedef float vf8 __attribute__((vector_size(32)));
typedef double vd __attribute__((vector_size(64)));
static constexpr int W = 16;

static inline vf loadu(const float* p) { return *(const vfu*)p; }
static inline void storeu(float* p, vf v) { *(vfu*)p = v; }

static inline vf scan16(vf v) {
  const vf z = {0};
  // shift lanes up by k (lane j takes lane j-k, lanes below k take zero), then add
  v += __builtin_shuffle(v, z, (vi){16, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14});
  v += __builtin_shuffle(v, z, (vi){16, 16, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13});
  v += __builtin_shuffle(v, z, (vi){16, 16, 16, 16, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
  v += __builtin_shuffle(v, z, (vi){16, 16, 16, 16, 16, 16, 16, 16, 0, 1, 2, 3, 4, 5, 6, 7});
  return v;
}

static void cumsum_rows(const float* x, float* y, int64_t rows, int64_t d) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * d;
    float* yr = y + r * d;
    vd carry = {0};
    int64_t i = 0;
    for (; i + W <= d; i += W) {
      vf s = scan16(loadu(xr + i));
      vf8 lo = {s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]};
      vf8 hi = {s[8], s[9], s[10], s[11], s[12], s[13], s[14], s[15]};
      vd dlo = carry + __builtin_convertvector(lo, vd);
      vd dhi = carry + __builtin_convertvector(hi, vd);
      vf8 flo = __builtin_convertvector(dlo, vf8);
      vf8 fhi = __builtin_convertvector(dhi, vf8);
      storeu(yr + i, (vf){flo[0], flo[1], flo[2], flo[3], flo[4], flo[5], flo[6], flo[7],
                          fhi[0], fhi[1], fhi[2], fhi[3], fhi[4], fhi[5], fhi[6], fhi[7]});
      double c = dhi[7];
      carry = (vd){c, c, c, c, c, c, c, c};
    }
    double c = carry[0];
    for (; i < d; ++i) { c += (double)xr[i]; yr[i] = (float)c; }
  }
}

torch::Tensor cumsum_lastdim(torch::Tensor x) {
  TORCH_CHECK(x.dim() == 2 && x.scalar_type() == torch::kFloat32 && x.device().is_cpu(),
              "expected a 2-D float32 CPU tensor");
  x = x.contiguous();
  auto y = torch::empty_like(x);
  const int64_t rows = x.size(0), d = x.size(1);
  const float* xp = x.data_ptr<float>();
  float* yp = y.data_ptr<float>();
  at::parallel_for(0, rows, 8, [&](int64_t b, int64_t e) { cumsum_rows(xp + b * d, yp + b * d, e - b, d); });
  return y;
}
'''

_ext = load_inline(
    name="assay_ref_cumsum_v1",
    cpp_sources=_CPP,
    functions=["cumsum_lastdim"],
    extra_cflags=["-O3", "-march=native"],
    verbose=False,
)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _ext.cumsum_lastdim(x)
