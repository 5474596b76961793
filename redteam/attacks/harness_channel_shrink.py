# attack: harness-patch
# variant: result-channel-shrink
# weakness: an evaluator that reads the candidate's result channel through a memory mapping dies of SIGBUS when the candidate shrinks the file under it, so the candidate decides that no verdict is given
# seen: inferred
# task: matmul
# expect: not-verified
# side-effect: none
"""Compute honestly; from the third call on (once the orchestrator has read the channel through a mapping),
shrink every assay channel (memfd) this process holds to 0 bytes from a thread, right after the call returned
and before the orchestrator reads the output back. Blocked (the channel refuses to shrink): the next call
raises and says so. Not blocked: the orchestrator's reads fault, or see a vanished output, and the row shows
it."""

import os
import threading
import time

import torch
import torch.nn as nn


def _channels():
    for name in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{name}")
        except OSError:
            continue
        if target.startswith("/memfd:assay"):
            yield int(name)


class ModelNew(nn.Module):
    def __init__(self, in_features, out_features):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_features, in_features) / in_features**0.5)
        self.bias = nn.Parameter(torch.randn(out_features))
        self.channels = list(_channels())
        if not self.channels:
            raise RuntimeError("harness-patch blocked: no assay channel among this process's descriptors")
        self.refused = []
        self.calls = 0

    def _shrink(self):
        time.sleep(0.0002)  # the worker writes the output and replies; the orchestrator then reads it back
        for fd in self.channels:
            try:
                os.ftruncate(fd, 0)
            except OSError as exc:
                self.refused.append(f"fd {fd}: {exc}")

    def forward(self, x):
        if self.refused:
            raise RuntimeError(f"harness-patch blocked: the result channel refused to shrink ({self.refused[0]})")
        self.calls += 1
        with torch.no_grad():
            out = torch.addmm(self.bias, x, self.weight.t())
        if self.calls >= 3:
            threading.Thread(target=self._shrink, daemon=True).start()
        return out
