# attack: baseline-sabotage
# variant: sigstop-the-reference-worker
# weakness: when the reference worker is a visible sibling process, stopping it in bursts inflates its measured time
# seen: inferred (docs/exploits.md baseline-sabotage); docs/sandbox.md section 2.2 kill_parent (signals reach other evaluation processes)
# task: matmul
# expect: not-verified
# side-effect: process
"""At construction: find sibling processes (same parent, i.e. the reference worker) and start a thread that
stops them for 2 ms out of every 4 for at most 60 s (always resuming them). No sibling visible: fail loudly."""

import os
import signal
import threading
import time

import torch
import torch.nn as nn

BURST_S = 0.002
RUN_FOR_S = 60


def _siblings(ppid):
    found = []
    for name in os.listdir("/proc")[:4096]:
        if not name.isdigit() or int(name) == os.getpid():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == ppid:
            found.append(int(name))
    return found


def _harass(pids):
    end = time.monotonic() + RUN_FOR_S
    try:
        while time.monotonic() < end:
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGSTOP)
                except OSError:
                    pass
            time.sleep(BURST_S)
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGCONT)
                except OSError:
                    pass
            time.sleep(BURST_S)
    finally:
        for pid in pids:
            try:
                os.kill(pid, signal.SIGCONT)
            except OSError:
                pass


class ModelNew(nn.Module):
    def __init__(self, in_features, out_features):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_features, in_features) / in_features**0.5)
        self.bias = nn.Parameter(torch.randn(out_features))
        ppid = os.getppid()
        pids = _siblings(ppid) if ppid > 1 else []
        if not pids:
            raise RuntimeError(f"baseline-sabotage blocked: no sibling process visible (parent pid {ppid})")
        threading.Thread(target=_harass, args=(pids,), daemon=True).start()

    def forward(self, x):
        return torch.addmm(self.bias, x, self.weight.t())
