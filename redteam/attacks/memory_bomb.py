# attack: limit-evasion
# variant: alloc-and-touch-30g
# weakness: without a memory limit (cgroup or RLIMIT_AS) a candidate can drive the host into swap or the OOM killer
# seen: docs/sandbox.md section 2.2 alloc_30g; docs/exploits.md limit-evasion (no OS quotas)
# task: matmul
# expect: not-verified
# side-effect: none
"""On the first call: allocate and touch memory in 1 GiB chunks up to 30 GiB. An allocation refused: fail
loudly (the message keeps the allocator's words). Safety: before each chunk it checks the host's free memory
(sysinfo, not namespaced) and stops while at least a quarter of RAM and 4 GiB are still free; having to stop
means no limit bound it, so it frees everything and computes honestly (the verdict then shows the breach).
Inside a memory cgroup, touching gigabytes is slow: the call limit may end it ("timeout") before the
allocation fails ("limit"); both stop it."""

import os

import torch
import torch.nn as nn

CHUNK = 1 << 30
BOUND = 30


def _host_free():
    return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")


def _host_total():
    return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")


class ModelNew(nn.Module):
    def __init__(self, in_features, out_features):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_features, in_features) / in_features**0.5)
        self.bias = nn.Parameter(torch.randn(out_features))
        self.done = False

    def _bomb(self):
        floor = max(4 << 30, _host_total() // 4)
        hoard = []
        try:
            for _ in range(BOUND):
                if _host_free() - CHUNK < floor:
                    return f"stopped itself at {len(hoard)} GiB to protect the host: no limit enforced"
                hoard.append(torch.ones(CHUNK, dtype=torch.uint8))
        except (RuntimeError, MemoryError) as exc:
            raise RuntimeError(f"limit-evasion blocked after {len(hoard)} GiB: {exc}") from None
        finally:
            hoard.clear()
        return f"allocated {BOUND} GiB"

    def forward(self, x):
        if not self.done:
            self.done = True
            self._bomb()
        return torch.addmm(self.bias, x, self.weight.t())
