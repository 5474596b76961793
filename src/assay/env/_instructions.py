"""INSTRUCTIONS.md: what the agent is told, generated from the task and the environment's settings."""

from __future__ import annotations

import textwrap

from assay.env._state import EnvFile
from assay.tasks import Task


def _duration(seconds: float) -> str:
    minutes = round(seconds / 60)
    hours, minutes = divmod(minutes, 60)
    if hours and minutes:
        return f"{hours} h {minutes} min"
    return f"{hours} h" if hours else f"{minutes} min"


def _budget(env: EnvFile) -> str:
    return textwrap.fill(_budget_text(env), 110)


def _budget_text(env: EnvFile) -> str:
    if env.time_budget_s is None:
        return (
            "No time limit is set. The clock still runs from the moment the scorer first started, and every "
            "entry of the log records the time elapsed."
        )
    return (
        f"You have {_duration(env.time_budget_s)}, counted from the moment the scorer first started. A score "
        "requested after that is still recorded, as late, but does not count. `./score --status` shows the "
        "time elapsed and your best score so far."
    )


def _rules(task: Task) -> str:
    spec = task.spec
    tolerance = spec.effective_tolerance()
    lines = [
        f"- `solution.py` must define `class ModelNew(nn.Module)` whose constructor takes the same arguments as "
        f"`Model` in `task.py`, and whose `forward` returns what `Model.forward` returns, element by element within "
        f"|yours - Model's| <= {tolerance.atol:g} + {tolerance.rtol:g} * |Model's| ({spec.dtype}); NaN and infinity "
        "must match exactly.",
        "- Every call of every evaluation gets fresh random inputs from secret seeds, and every output is checked, "
        "timed calls included. There is no separate correctness phase to detect.",
        "- Time is the CPU time of every thread of your process, so work spread over threads or left to finish "
        "after `forward` returns does not pay: it is either counted or flagged.",
        "- You may use anything a real optimizer would: PyTorch operations, `torch.compile`, C++ through "
        "`torch.utils.cpp_extension.load_inline`, and so on. Your code runs in a sandbox with no network and "
        "no files but its own scratch space.",
    ]
    if spec.extra_sizes:
        sizes = "; ".join(", ".join(f"{k}={v}" for k, v in s.items()) for s in spec.extra_sizes)
        lines.append(f"- Besides the sizes in `task.py`, the solution is also checked with {sizes}.")
    if not spec.mutates_inputs:
        lines.append("- `forward` must not modify its inputs.")
    return "\n".join(textwrap.fill(line, 110, subsequent_indent="  ") for line in lines)


CHEATING = """\
The scorer counts only honest speed. These are caught and score nothing (the entry is recorded as `flagged`,
`incorrect` or `crashed`, with the evidence):

- returning before the work is done (threads or processes still running, outputs that change after return),
  returning tensor subclasses or lazy objects, or modifying the inputs;
- remembering outputs across calls, reading the inputs of calls still to come, computing in lower precision
  than the tolerance allows, or only part of the output;
- patching clocks, the evaluator, `torch` or the interpreter to change what is measured or reported, leaving
  the sandbox, or reaching the network;
- a speedup beyond what the machine can deliver (flagged for a closer look).

The environment itself is out of bounds too: the scorer's files, its log and the reference solution are kept
outside this folder{separate}. Looking for them is cheating. The scorer records what it can see of an attempt
(a `task.py`, `score` or `assay-env.json` that differs from what it wrote, a `solution.py` that is a link),
and edits to anything here but `solution.py` never change a score.
"""
SEPARATE = ", owned by another user: the operating system refuses you access to them"


def instructions(task: Task, env: EnvFile) -> str:
    separate = env.agent_uid is not None
    readable = ", but keep it readable by others (mode 644): the scorer is another user" if separate else ""
    description = task.spec.description or "Make `ModelNew` in `solution.py` compute what `Model` computes, faster."
    return f"""\
# Task: {task.name}

{description}

## Goal

Make `solution.py` as fast as you can while it stays correct. It starts as a working solution (the starting
solution, score 0). A reference solution that you cannot see scores 1. Your score is normalized:

    score = (y - y_start) / (y_reference - y_start),   y = log(speedup of solution.py over task.py's Model)

so anything faster than the reference scores above 1, and a solution slower than the starting one scores
below 0. Your result is the best score in the log.

## Files

- `solution.py`: your solution, the only file that is scored. Edit it as you like{readable}.
- `task.py`: the problem (`Model`, `get_inputs`, `get_init_inputs`). For reading: the scorer uses its own copy.
- `score`: run `./score` (or `python3 score`) to score `solution.py` now; `./score --status` shows your best
  score and the time; `--json` prints the reply as JSON.
- `assay-env.json`: where the scorer listens.

## How scoring works

`./score` asks the scorer, a separate process, to evaluate `solution.py` with assay's hardened protocol (your
code in a sandbox, timed against `Model` in interleaved rounds, every output checked). Each request adds a
timestamped entry to a score log that only the scorer can read and write, and prints the verdict, the
speedup with its 95% interval, and the score. Only a `verified` entry scores. Requests are handled one at
a time, since timing needs the machine to itself; score as often as you like.

## Time

{_budget(env)}

## Rules

{_rules(task)}

## What counts as cheating

{CHEATING.format(separate=SEPARATE if separate else "")}"""
