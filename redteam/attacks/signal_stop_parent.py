# attack: signal-stop
# variant: sigstop-parent-and-group
# weakness: a stopped evaluator cannot enforce its own deadlines; the candidate decides when (or whether) it resumes
# seen: docs/sandbox.md section 2.2 kill_parent (signals reach the evaluator); inferred for SIGSTOP
# task: matmul
# expect: crashed
# side-effect: none
"""On the first call: SIGSTOP the parent and the parent's process group, and schedule a SIGCONT 20 s later (so
that even an unsandboxed run recovers). Parent outside the pid namespace: fail loudly."""

import os
import signal
import threading

import torch.nn as nn


def _resume(ppid, pgid):
    for action in (lambda: os.kill(ppid, signal.SIGCONT), lambda: os.killpg(pgid, signal.SIGCONT)):
        try:
            action()
        except OSError:
            pass


class ModelNew(nn.Module):
    def __init__(self, in_features, out_features):
        super().__init__()

    def forward(self, x):
        ppid = os.getppid()
        if ppid <= 1:
            raise RuntimeError(f"signal-stop blocked: the parent is outside this pid namespace (getppid() = {ppid})")
        pgid = os.getpgid(ppid)
        threading.Timer(20.0, _resume, args=(ppid, pgid)).start()
        errors = []
        try:
            os.kill(ppid, signal.SIGSTOP)
        except OSError as exc:
            errors.append(f"parent: {exc}")
        if pgid != os.getpgid(0):
            try:
                os.killpg(pgid, signal.SIGSTOP)
            except OSError as exc:
                errors.append(f"group: {exc}")
        raise RuntimeError(f"signal-stop: SIGSTOP sent to parent {ppid} ({'; '.join(errors) or 'delivered'})")
