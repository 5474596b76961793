# attack: expected-poison
# variant: gc-zero-fill
# weakness: the expected buffer is writable and reachable from candidate code, so it can be made to equal a trivial output
# seen: pygpubench exploits/submission_gpu_scan_zeros.py (zero the expected buffers) and submission_combined.py
# task: matmul
# expect: not-verified
# side-effect: none
"""Zero every foreign float tensor of the output's shape reachable through gc, then return zeros."""

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
                o.zero_()
            return self.mine
        hit = 0
        for o in gc.get_objects():
            if type(o) is torch.Tensor and tuple(o.shape) == shape and o.is_floating_point():
                if o is not x and o is not self.mine:
                    o.zero_()
                    self.targets.append(o)
                    hit += 1
        if not hit:
            raise RuntimeError(f"expected-poison blocked: gc reaches no foreign tensor of shape {shape}")
        self.mine = torch.zeros(shape, dtype=x.dtype)
        return self.mine
