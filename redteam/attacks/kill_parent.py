# attack: kill-parent
# variant: sigkill-getppid
# weakness: a candidate that can signal its parent kills the evaluator (or the zygote) and may leave a half-written result behind
# seen: docs/sandbox.md section 2.2 kill_parent (SIGUSR1 counted by the parent)
# task: matmul
# expect: crashed
# side-effect: none
"""On the first call: SIGKILL the parent process. If the parent is outside this pid namespace (getppid() is 0)
there is nothing to kill: fail loudly. If the signal was refused: fail loudly with the error."""

import os
import signal

import torch.nn as nn


class ModelNew(nn.Module):
    def __init__(self, in_features, out_features):
        super().__init__()

    def forward(self, x):
        ppid = os.getppid()
        if ppid <= 1:
            raise RuntimeError(f"kill-parent blocked: the parent is outside this pid namespace (getppid() = {ppid})")
        try:
            os.kill(ppid, signal.SIGKILL)
        except OSError as exc:
            raise RuntimeError(f"kill-parent blocked: kill({ppid}, SIGKILL): {exc}") from None
        raise RuntimeError(f"kill-parent: SIGKILL delivered to parent {ppid}")
