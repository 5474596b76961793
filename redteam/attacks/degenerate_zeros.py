# attack: degenerate-task
# variant: zeros
# weakness: a task whose outputs are nearly constant or tiny lets a trivial output pass the tolerance
# seen: METR "Measuring Automated Kernel Engineering" (tasks removed for low-SNR outputs, 3rd-party summary); robust-kbench robust_kbench/filter/forward.py (filter_output_range, filter_output_std)
# task: elementwise
# expect: incorrect
# side-effect: none
"""Return zeros of the output's shape: free, and right whenever the expected output is within atol of zero."""

import torch
import torch.nn as nn


class ModelNew(nn.Module):
    def __init__(self, scale):
        super().__init__()

    def forward(self, x):
        return torch.zeros_like(x)
