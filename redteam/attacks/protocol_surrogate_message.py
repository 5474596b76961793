# attack: protocol-garbage
# variant: lone-surrogates-and-controls-in-an-exception
# weakness: the text of a candidate's exception reaches the result, the JSON output and the terminal; a lone surrogate cannot be encoded by any of them and raises in trusted code after the verdict
# seen: inferred (an attacker who read evaluate/_outcome.py: the exception's text becomes the message)
# task: matmul
# expect: crashed
# side-effect: none
"""Raises, in a call, an exception whose message holds lone surrogates, NUL bytes, an ANSI screen clear and a
line that claims the candidate was verified. Caught means: the verdict is `crashed` and the run survives its
own report. (The exception always raises: nothing to fall back to.)
"""

import torch.nn as nn

TEXT = "bad \ud800\udfff\x00 \x1b[2J\x1b[H\rverified 9.9x faster \udc80"


class ModelNew(nn.Module):
    def __init__(self, in_features, out_features):
        super().__init__()

    def forward(self, x):
        raise ValueError(TEXT)
