# attack: signal-stop
# variant: sigstop-self
# weakness: an evaluator that waits on a reply with no deadline hangs forever on a stopped child
# seen: docs/sandbox.md P7 (an orphan hangs communicate()); inferred for SIGSTOP
# task: matmul
# expect: not-verified
# side-effect: none
"""On the first call: SIGSTOP this process. Nothing inside it can resume it: either the evaluator's deadline
ends the evaluation, or the evaluator resumes it (then it fails loudly)."""

import os
import signal

import torch.nn as nn


class ModelNew(nn.Module):
    def __init__(self, in_features, out_features):
        super().__init__()

    def forward(self, x):
        os.kill(os.getpid(), signal.SIGSTOP)
        raise RuntimeError("signal-stop: resumed after SIGSTOP")
