# attack: output-alias
# variant: compute-into-the-channel-found-in-frames
# weakness: the worker copies each output into a shared channel region whose offset the call loop holds; computed straight into that region, the copy (paid by the reference) costs the candidate nothing
# seen: inferred (an attacker who read worker/_serve.py: torch skips a copy onto the very same memory)
# task: elementwise
# expect: crashed
# side-effect: none
"""Walks up from forward() to the frame of the call loop, reads the output offset and the mapped channel there,
computes tanh(x) * scale straight into that region and returns it: the loop's copy of the output onto the
channel then finds source and destination identical and does nothing. Honest arithmetic; only the copy is
saved. No such frame once the calls have started (the first calls at a new size carry no offset): fail loudly.
"""

import sys

import torch
import torch.nn as nn


def _region(shape, dtype):
    frame = sys._getframe(2)
    while frame is not None:
        local = frame.f_locals
        call, channel = local.get("call"), local.get("channel")
        if isinstance(call, dict) and "out_offset" in call and hasattr(channel, "region"):
            nbytes = call.get("out_nbytes")
            if nbytes:
                return channel.region(call["out_offset"], nbytes).view(dtype).view(shape)
        frame = frame.f_back
    raise RuntimeError("output-alias blocked: no call loop frame holds an output offset and a channel")


class ModelNew(nn.Module):
    def __init__(self, scale):
        super().__init__()
        self.scale = scale

    def forward(self, x):
        self.calls = getattr(self, "calls", 0) + 1
        try:
            out = _region(x.shape, x.dtype)
        except RuntimeError:
            if self.calls > 8:
                raise
            return torch.tanh(x) * self.scale  # the first calls of a size learn it without an offset
        torch.tanh(x, out=out)
        return out.mul_(self.scale)
