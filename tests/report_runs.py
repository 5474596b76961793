"""Real optimizer runs, environments and bench files for the report tests (and for the README's screenshot).

`make_run` runs `assay.search.optimize` on the tiny tanh task against the scripted LLM server on loopback (paid
APIs cannot run in tests; the official client, HTTP, the evaluator, its sandbox and the run's SQLite file are
real). The script gives every verdict the report has to show: a wrong program, a crash, a reply with no program,
a near-duplicate, and verified programs in a lineage of several generations.
"""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from assay.evaluate import Evaluator
from assay.search import Budget, EvalSettings, LineReporter, LLMSettings, SearchConfig, optimize
from assay.tasks import load_task
from tests.scripted_llm import Reply, Request, ScriptedLLM

TASK = Path(__file__).parent / "fixtures" / "eval" / "task_tanh.py"
HEAD = (
    "import torch\nimport torch.nn as nn\n\n\nclass ModelNew(nn.Module):\n    def __init__(self, scale):\n"
    "        super().__init__()\n        self.scale = scale\n\n    def forward(self, x):\n"
)
GOOD = HEAD + "        return torch.tanh(x) * self.scale\n"
WRONG = HEAD + "        return torch.tanh(x)\n"
CRASH = HEAD + "        raise RuntimeError('no kernel for this shape')\n"
INPLACE = HEAD + "        return torch.tanh(x).mul_(self.scale)\n"
SLOW = HEAD + "        torch.tanh(x)\n        return torch.tanh(x) * self.scale\n"
FUSED = HEAD + "        y = torch.empty_like(x)\n        torch.tanh(x, out=y)\n        return y.mul_(self.scale)\n"


def _fenced(source: str, note: str) -> Reply:
    return Reply(f"{note}\n```python\n{source}```\n")


# (step, attempt) -> reply: step 0 translates through a wrong answer; step 1 finds the in-place form; step 2 is
# slower; step 3 crashes, gives no program, then a near-duplicate of step 1; step 4 builds on the in-place form.
SCRIPT = {
    (0, 0): _fenced(WRONG, "Apply tanh."),
    (0, 1): _fenced(GOOD, "Scale the output as well."),
    (1, 0): _fenced(INPLACE, "Scale in place: one pass fewer."),
    (2, 0): _fenced(SLOW, "Warm the cache first."),
    (3, 0): _fenced(CRASH, "A hand-written kernel."),
    (3, 1): Reply("I cannot fix this kernel."),
    (3, 2): _fenced(INPLACE.replace("return", "return  "), "Back to the in-place form."),
    (4, 0): _fenced(FUSED, "Write tanh into a fresh buffer and scale it there."),
}


def script(request: Request) -> Reply:
    return SCRIPT.get((request.step, request.attempt), Reply(f"unexpected request {request.step}.{request.attempt}"))


def make_run(runs_dir: Path, evaluator: Evaluator, *, quick: bool = True, confirm: bool = False) -> Path:
    """A finished run of 6 evaluations under `runs_dir`; returns its run file."""
    with ScriptedLLM(script) as server:
        config = SearchConfig(
            proposer="llm",
            seed=7,
            islands=1,
            crossover_rate=0.0,
            budget=Budget(evals=6),
            confirm=confirm,
            eval=EvalSettings(quick=quick, timeout_s=120),
            llm=LLMSettings(models=[f"openai:scripted-gpt@{server.openai_url}"]),
        )
        outcome = optimize(load_task(TASK), config, evaluator, LineReporter(Console(stderr=True)), runs_dir=runs_dir)
    return outcome.run_file
