# attack: report-forgery
# variant: report-unbalanced-tag-kills-report
# weakness: class 6 (candidate text forges the report): an exception message with a closing markup tag that closes nothing makes rich raise while the report is printed, so the run ends in a traceback after the evaluation and no verdict is shown (and `assay redteam` loses its whole table)
# seen: inferred
# task: elementwise
# expect: crashed
# side-effect: none
"""Raise on the first call with a message holding closing tags that match no open tag ("[/bold]", "[/]")
and a link tag: rich's markup parser raises MarkupError on the first of them."""

import torch.nn as nn


class ModelNew(nn.Module):
    def __init__(self, scale):
        super().__init__()

    def forward(self, x):
        raise ValueError("shape check [/bold] failed [/] [link=file:///etc/passwd]details[/link]")
