# attack: expected-poison
# variant: gc-nan-wildcard
# weakness: a checker that treats NaN in the expected output as "don't care" passes anything once the expected tensor is NaN
# seen: pygpubench exploits/submission_gc_nan.py ("NaN in expected is wildcard", csrc/check.cu)
# task: matmul
# expect: not-verified
# side-effect: none
"""Fill every foreign float tensor of the output's shape with NaN, then return NaN."""

import gc

import torch
import torch.nn as nn


class ModelNew(nn.Module):
    def __init__(self, in_features, out_features):
        super().__init__()
        self.out_features = out_features
        self.mine = None
        self.targets = []  # poisoned tensors, re-poisoned on later calls without another gc walk

    def forward(self, x):
        shape = (x.shape[0], self.out_features)
        live = [t for t in self.targets if tuple(t.shape) == shape]
        if live:
            for o in live:
                o.fill_(float("nan"))
            return self.mine
        hit = 0
        for o in gc.get_objects():
            if type(o) is torch.Tensor and tuple(o.shape) == shape and o.is_floating_point():
                if o is not x and o is not self.mine:
                    o.fill_(float("nan"))
                    self.targets.append(o)
                    hit += 1
        if not hit:
            raise RuntimeError(f"expected-poison blocked: gc reaches no foreign tensor of shape {shape}")
        self.mine = torch.full(shape, float("nan"), dtype=x.dtype)
        return self.mine
