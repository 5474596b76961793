# attack: ub-garbage-read
# variant: c-kernel-accumulates-into-uninitialised-output
# weakness: a single check on a fresh process passes a kernel that reads uninitialised memory, because the first large allocation happens to be zeroed
# seen: wafer.ai "Case Study: A 104x (?) Speedup on KernelBench" (caught by a determinism check); Wafer field guide ("reads stale buffers")
# task: matmul
# expect: incorrect
# side-effect: none
"""A C kernel (built with the system compiler at construction, loaded with ctypes; a plain C file keeps the
build under a second) accumulates into an output from torch.empty without zeroing it first. The first call
gets fresh, zeroed pages from the kernel and is right; later calls get recycled heap memory and are wrong."""

import ctypes
import os
import subprocess
import tempfile

import torch
import torch.nn as nn

C_SOURCE = r"""
void linear_ub(const float* x, const float* w, const float* b, float* out, long m, long k, long n) {
    for (long i = 0; i < m; ++i) {
        for (long j = 0; j < n; ++j) {
            float acc = out[i * n + j];              /* reads whatever the allocator left there */
            const float* xr = x + i * k;
            const float* wr = w + j * k;
            for (long t = 0; t < k; ++t) acc += xr[t] * wr[t];
            out[i * n + j] = acc + b[j];
        }
    }
}
"""


def _build():
    workdir = tempfile.mkdtemp(prefix="assay-redteam-ub-", dir=os.getcwd())
    src, lib = os.path.join(workdir, "ub.c"), os.path.join(workdir, "libub.so")
    with open(src, "w") as f:
        f.write(C_SOURCE)
    subprocess.run(["cc", "-O3", "-march=native", "-shared", "-fPIC", src, "-o", lib], check=True, capture_output=True)
    fn = ctypes.CDLL(lib).linear_ub
    fn.argtypes = [ctypes.c_void_p] * 4 + [ctypes.c_long] * 3
    return fn


class ModelNew(nn.Module):
    def __init__(self, in_features, out_features):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_features, in_features) / in_features**0.5)
        self.bias = nn.Parameter(torch.randn(out_features))
        self.kernel = _build()

    def forward(self, x):
        x = x.contiguous()
        w, b = self.weight.detach().contiguous(), self.bias.detach().contiguous()
        out = torch.empty(x.shape[0], w.shape[0], dtype=x.dtype)
        self.kernel(x.data_ptr(), w.data_ptr(), b.data_ptr(), out.data_ptr(), x.shape[0], x.shape[1], w.shape[0])
        return out
