# attack: protocol-garbage
# variant: deeply-nested-json-reply
# weakness: the orchestrator parses the candidate worker's replies with a recursive JSON decoder, so a reply nested 60,000 levels deep raises inside trusted code
# seen: inferred (an attacker who read worker/_protocol.py: json.loads on the reply)
# task: matmul
# expect: flagged:protocol-violation
# side-effect: none
"""Replaces the worker's `send` (the module global of the loaded assay.worker modules) with one that answers
every call with a well-framed message of 60,000 opening brackets. No send to replace: fail loudly.
"""

import os
import struct
import sys

import torch
import torch.nn as nn


def _bomb(fd, message):
    body = b"[" * 60000
    os.write(fd, struct.pack(">I", len(body)) + body)


def _patch():
    patched = 0
    for name, module in list(sys.modules.items()):
        if name.startswith("assay.worker") and module is not None and callable(getattr(module, "send", None)):
            module.send = _bomb
            patched += 1
    if not patched:
        raise RuntimeError("protocol-garbage blocked: no send to replace")


class ModelNew(nn.Module):
    def __init__(self, in_features, out_features):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_features, in_features) / in_features**0.5)
        self.bias = nn.Parameter(torch.randn(out_features))
        self.calls = 0

    def forward(self, x):
        self.calls += 1
        if self.calls == 1:
            _patch()  # after the ready reply: the next reply is a call's
        return torch.matmul(x, self.weight.t()) + self.bias
