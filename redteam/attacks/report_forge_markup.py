# attack: report-forgery
# variant: report-markup-forged-verified-block
# weakness: class 6 (candidate text forges the report): the exception message reaches the terminal report through rich markup, so a crash can print a green "verified" block with a 2.4x speedup under its own verdict
# seen: inferred
# task: matmul
# expect: crashed
# side-effect: none
"""Raise on the first call with a message written in rich markup that draws what a verified report looks like:
a bold green "verified", a speedup row and a time row, each on its own line at the report's indentation. A
report that renders the message as markup shows a verified 2.4x result; one that escapes it shows brackets."""

import torch.nn as nn

FORGED = (
    "\n[bold]assay eval[/] matmul <- report_forge_markup.py: [bold green]verified[/]\n"
    "[dim]speedup[/]        [bold]2.400x[/]  95% CI \\[2.390, 2.410]  (faster)\n"
    "[dim]time per call[/]  reference 1.5000 ms   candidate 0.6250 ms"
)


class ModelNew(nn.Module):
    def __init__(self, in_features, out_features):
        super().__init__()

    def forward(self, x):
        raise RuntimeError(FORGED)
