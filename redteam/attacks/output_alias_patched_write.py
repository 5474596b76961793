# attack: output-alias
# variant: computed-in-place-and-copy-patched-out
# weakness: the output copy into the channel runs in the candidate's own process, where its code can replace the copy with nothing once the output is already there
# seen: inferred (an attacker who read worker/_serve.py's Channel.write)
# task: elementwise
# expect: crashed
# side-effect: none
"""Replaces the channel's write method (found on any loaded assay.worker module) with one that skips the copy
when the output already lies in the channel, and computes each output straight into its channel region, found
from the call loop's frame. No channel class with a write method: fail loudly.
"""

import sys

import torch
import torch.nn as nn


def _channel_class():
    for name, module in list(sys.modules.items()):
        if name.startswith("assay.worker") and module is not None:
            cls = getattr(module, "Channel", None)
            if isinstance(cls, type) and callable(getattr(cls, "write", None)):
                return cls
    raise RuntimeError("output-alias blocked: no channel class with a write method")


def _patch():
    cls = _channel_class()
    original = cls.write

    def write(self, t, offset):
        if t.data_ptr() == self.region(offset, 1).data_ptr():
            return None
        return original(self, t, offset)

    cls.write = write


def _region(shape, dtype):
    frame = sys._getframe(2)
    while frame is not None:
        call, channel = frame.f_locals.get("call"), frame.f_locals.get("channel")
        if isinstance(call, dict) and call.get("out_nbytes") and hasattr(channel, "region"):
            return channel.region(call["out_offset"], call["out_nbytes"]).view(dtype).view(shape)
        frame = frame.f_back
    return None


class ModelNew(nn.Module):
    def __init__(self, scale):
        super().__init__()
        self.scale = scale
        _patch()

    def forward(self, x):
        out = _region(x.shape, x.dtype)
        if out is None:
            return torch.tanh(x) * self.scale
        torch.tanh(x, out=out)
        return out.mul_(self.scale)
