"""Prompts: the task, the parents with what the evaluator said of them, and the ask of the stage."""

from __future__ import annotations

from assay.evaluate import EvalResult
from assay.search import Parent, ProposalRequest

_MESSAGE_CHARS = 3000

SYSTEM = """You make PyTorch code faster. A task is a Python module defining `Model` (an nn.Module), \
`get_inputs()` and `get_init_inputs()`. You write a Python module defining `ModelNew`: an nn.Module whose \
constructor takes the same arguments as Model's (those of `get_init_inputs()`), whose `forward` takes the inputs \
of `get_inputs()`, and which returns the same outputs as Model (within the task's tolerance, 1e-4 for float32) \
in less time on {device}.

How programs are judged: ModelNew runs in a sandbox without network, on fresh random inputs at every call; every \
output of every call is compared element by element with Model's; reference and candidate are timed in \
alternation and the speedup is reported with a 95% interval. Tricks are detected and flagged: caching or \
replaying outputs, work left running after a call returns, touching clocks or the harness, changing the inputs, \
lower precision. To get the same weights as Model, create the same layers in the same order as Model does.

You may use any PyTorch operation, torch.compile, or C++ extensions through \
torch.utils.cpp_extension.load_inline. Import everything you use.

Begin your answer with one sentence saying what you changed and why. Then give either the whole file in one \
```python block, or edits to the program you were given, each in this form:
<<<<<<< SEARCH
(lines copied exactly from the program)
=======
(the lines that replace them)
>>>>>>> REPLACE"""

_ASK = {
    "translate": "Write a first ModelNew for this task: correct first, then fast. Give the whole file.",
    "evolve": "Make the parent faster while keeping it correct: one focused change (edits) or a rewrite "
    "(whole file). The other programs are there for ideas.",
    "crossover": "Combine what makes parent A and parent B fast into one program faster than both. Edits apply "
    "to parent A; or give the whole file.",
    "repair": "Your program above failed. Fix it so that it is correct, keeping what makes it fast. Edits apply "
    "to the program that failed; or give the whole file.",
}


def system_prompt(device: str) -> str:
    return SYSTEM.format(device="the CPU (one thread)" if device == "cpu" else f"the GPU ({device})")


def user_prompt(request: ProposalRequest) -> str:
    parts = [f"## Task `{request.task.name}`\n\n```python\n{request.task.source.rstrip()}\n```"]
    if request.stage == "repair" and request.parents:
        parts.append(_program("The program that failed", request.parents[0]))
        parts.extend(_program("It was derived from", p) for p in request.inspirations)
    elif request.stage == "crossover":
        parts.extend(_program(f"Parent {name}", p) for name, p in zip("AB", request.parents, strict=False))
        parts.extend(_program("Another program", p) for p in request.inspirations)
    else:
        parts.extend(_program("Parent", p) for p in request.parents)
        parts.extend(_program("Another program", p) for p in request.inspirations)
    if request.feedback:
        parts.append(f"## Note on your previous attempt\n\n{request.feedback}")
    parts.append(f"## Ask\n\n{_ASK[request.stage]}")
    return "\n\n".join(parts) + "\n"


def edit_base(request: ProposalRequest) -> str | None:
    """The program SEARCH/REPLACE edits apply to."""
    return request.parents[0].source if request.parents else None


def _program(title: str, parent: Parent) -> str:
    return (
        f"## {title} (candidate {parent.id})\n\n{feedback(parent.result)}\n\n```python\n{parent.source.rstrip()}\n```"
    )


def feedback(result: EvalResult | None) -> str:
    """What the evaluator said: verdict, speedup and times, the message (where a mismatch was), flags."""
    if result is None:
        return "Not evaluated."
    lines = [f"Verdict: {result.verdict}."]
    if result.speedup is not None and result.speedup_ci is not None:
        low, high = result.speedup_ci
        lines.append(f"Speedup {result.speedup:.3f}x, 95% interval [{low:.3f}, {high:.3f}] ({result.comparison}).")
    if result.reference_ms is not None and result.candidate_ms is not None:
        lines.append(
            f"Time per call: reference {result.reference_ms:.4f} ms, this program {result.candidate_ms:.4f} ms."
        )
    if result.message:
        message = result.message if len(result.message) <= _MESSAGE_CHARS else result.message[:_MESSAGE_CHARS] + "..."
        lines.append(f"Evaluator's message: {message}")
    lines.extend(f"Flag {flag.id}: {flag.evidence}" for flag in result.flags)
    return "\n".join(lines)
