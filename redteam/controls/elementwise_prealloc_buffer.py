# control: elementwise-prealloc-buffer
# variant: same-output-object-every-call
# weakness: none (honest): returns the same preallocated tensor object every call, refilled with the new result
# seen: inferred
# task: elementwise
# expect: verified
# side-effect: none
"""Honest: one output buffer per shape, reused across calls (no allocation per call). Each call overwrites the
previous result, so an evaluator must capture each output at return, not later."""

import torch
import torch.nn as nn


class ModelNew(nn.Module):
    def __init__(self, scale):
        super().__init__()
        self.scale = scale
        self.buffers = {}

    def forward(self, x):
        out = self.buffers.get(tuple(x.shape))
        if out is None or out.dtype != x.dtype:
            out = self.buffers[tuple(x.shape)] = torch.empty_like(x)
        torch.tanh(x, out=out)
        return out.mul_(self.scale)
