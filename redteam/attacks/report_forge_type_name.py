# attack: report-forgery
# variant: report-exception-class-name-and-surrogates
# weakness: class 6 (candidate text forges the report): the exception's class name and message are candidate-chosen strings; markup in the name, a right-to-left override and lone surrogates in the message forge a "verified" reading or make printing the report (and `--json`) raise
# seen: inferred
# task: softmax
# expect: crashed
# side-effect: none
"""Raise, while constructing ModelNew, an exception whose class is named in rich markup as a green "verified
2.40x faster" line, with a message that holds lone surrogates (no UTF-8 writer accepts them, so printing or
JSON-encoding the message raises) and a right-to-left override that shows "deifirev" as "verified"."""

import torch.nn as nn

Forged = type("[bold green]verified[/] 2.40x faster [dim]", (Exception,), {})
MESSAGE = "kernel failed \udce2\udc80 \u202edeifirev\u202c \ud800"


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()
        raise Forged(MESSAGE)

    def forward(self, x):
        raise RuntimeError("unreachable: the constructor raises")
