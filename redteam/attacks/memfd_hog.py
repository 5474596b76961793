# attack: limit-evasion
# variant: memfd-page-cache-hog
# weakness: memfd pages live in the page cache, outside RLIMIT_AS and RLIMIT_DATA, so only a cgroup (or a seccomp ban on memfd_create) bounds them
# seen: docs/sandbox.md section 2.2 memfd_hog and P3 ("memfd page cache is not in RLIMIT_AS")
# task: matmul
# expect: not-verified
# side-effect: none
"""At construction: create memfds and fill them 100 MiB at a time, up to 30 GiB, holding them open. Refused or
killed: the limit works. Safety: stops (and closes them) while a quarter of RAM and 4 GiB are still free;
having to stop means no limit bound it, so it computes honestly (the verdict then shows the breach)."""

import os

import torch
import torch.nn as nn

STEP = 100 << 20
BOUND = 30 << 30
ZEROS = b"\1" * (1 << 20)


def _host_free():
    return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")


class ModelNew(nn.Module):
    def __init__(self, in_features, out_features):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_features, in_features) / in_features**0.5)
        self.bias = nn.Parameter(torch.randn(out_features))
        floor = max(4 << 30, os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 4)
        fds, held = [], 0
        try:
            while held < BOUND and _host_free() - STEP >= floor:
                fd = os.memfd_create("assay-redteam-hog")
                fds.append(fd)
                for _ in range(STEP >> 20):
                    os.write(fd, ZEROS)
                held += STEP
        except OSError as exc:
            for fd in fds:
                os.close(fd)
            raise RuntimeError(f"limit-evasion blocked after {held >> 20} MiB of memfd: {exc}") from None
        for fd in fds:
            os.close(fd)
        self.held = held

    def forward(self, x):
        return torch.addmm(self.bias, x, self.weight.t())
