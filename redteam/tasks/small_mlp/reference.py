# ASSAY_REDTEAM_REFERENCE_CANARY small_mlp: this file must never be readable from a candidate's sandbox.
"""Strong solution for the small MLP: two fused GEMMs with their biases (addmm), ReLU in place."""

import torch
import torch.nn as nn


class ModelNew(nn.Module):
    def __init__(self, features):
        super().__init__()
        self.fc1 = nn.Linear(features, features)
        self.fc2 = nn.Linear(features, features)

    def forward(self, x):
        h = torch.addmm(self.fc1.bias, x, self.fc1.weight.t()).relu_()
        return torch.addmm(self.fc2.bias, h, self.fc2.weight.t())
