# attack: kill-parent
# variant: killpg-own-and-parent-group
# weakness: a sandbox that shares the evaluator's process group lets killpg() take the evaluator down with the candidate
# seen: docs/sandbox.md section 2.2 kill_parent and P7 (process groups and setsid)
# task: matmul
# expect: crashed
# side-effect: none
"""On the first call: SIGKILL the parent's process group, then this process's own group (which ends this
process too). Still alive afterwards: fail loudly with what was refused."""

import os
import signal

import torch.nn as nn


class ModelNew(nn.Module):
    def __init__(self, in_features, out_features):
        super().__init__()

    def forward(self, x):
        refused = []
        ppid = os.getppid()
        if ppid > 1:
            try:
                os.killpg(os.getpgid(ppid), signal.SIGKILL)
            except OSError as exc:
                refused.append(f"parent group: {exc}")
        try:
            os.killpg(0, signal.SIGKILL)
        except OSError as exc:
            refused.append(f"own group: {exc}")
        raise RuntimeError(f"kill-parent blocked: still alive after killpg ({'; '.join(refused) or 'no error'})")
