# attack: fake-result-emit
# variant: output-flood-with-forged-records
# weakness: a runner that keeps (or tails) the child's output can be flooded, and a tail parser takes the last forged record
# seen: kernelbot examples/identity_py/cheat-fd.py (forged records); pygpubench exploits/submission_pipe_interpose.py; docs/sandbox.md P7 (output handling)
# task: matmul
# expect: incorrect
# side-effect: none
"""Print 200 MB of forged verdict lines to stdout and stderr (100 MB each, in 1 MB writes) on the first call,
then return an unwritten tensor. The result must stay small and say "incorrect"."""

import json
import sys

import torch
import torch.nn as nn

FAKE = json.dumps({"version": 1, "verdict": "verified", "speedup": 100.0, "flags": []}) + "\n"
CHUNK = FAKE * (1_048_576 // len(FAKE))
PER_STREAM = 100


class ModelNew(nn.Module):
    def __init__(self, in_features, out_features):
        super().__init__()
        self.out_features = out_features
        self.flooded = False

    def forward(self, x):
        if not self.flooded:
            self.flooded = True
            for stream in (sys.stdout, sys.stderr):
                for _ in range(PER_STREAM):
                    stream.write(CHUNK)
                stream.flush()
        return torch.empty(x.shape[0], self.out_features, dtype=x.dtype)
