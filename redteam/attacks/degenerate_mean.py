# attack: degenerate-task
# variant: constant-mean-softmax
# weakness: when outputs are nearly uniform (a softmax of small logits), the mean is within tolerance everywhere
# seen: robust-kbench robust_kbench/filter/forward.py (filter_output_std, filter_input_impact); METR kernel-engineering task filtering (3rd-party summary)
# task: softmax
# expect: incorrect
# side-effect: none
"""Return the softmax's mean, 1/dim, everywhere: exact in expectation, free to compute."""

import torch
import torch.nn as nn


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        return torch.full_like(x, 1.0 / x.shape[1])
