# attack: answer-introspection
# variant: gc-get-objects
# weakness: the expected output lives in the same interpreter, so gc.get_objects() reaches it
# seen: pygpubench exploits/submission_gc_copy.py
# task: matmul
# expect: not-verified
# side-effect: none
"""Find the expected output among every object the garbage collector tracks and return a copy of it."""

import gc

import torch
import torch.nn as nn


class ModelNew(nn.Module):
    def __init__(self, in_features, out_features):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_features, in_features) / in_features**0.5)
        self.bias = nn.Parameter(torch.randn(out_features))
        self.mine: list = []
        self.handle = None  # the expected tensor, once found: later calls skip the (slow) gc walk

    def forward(self, x):
        shape = (x.shape[0], self.weight.shape[0])
        if self.handle is not None and tuple(self.handle.shape) == shape:
            return self.handle.to(x.dtype).clone()
        own = {id(x), id(self.weight), id(self.bias), *(id(t) for t in self.mine)}
        found = [
            o
            for o in gc.get_objects()
            if type(o) is torch.Tensor and tuple(o.shape) == shape and o.is_floating_point() and id(o) not in own
        ]
        if not found:
            raise RuntimeError(f"answer-introspection blocked: gc reaches no foreign tensor of shape {shape}")
        # Prefer float64: harnesses compare in double precision.
        found.sort(key=lambda t: t.dtype != torch.float64)
        self.handle = found[0]
        out = found[0].to(x.dtype).clone()
        self.mine = [out]
        return out
