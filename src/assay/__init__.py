"""assay: get faster code out of AI systems and prove every claimed speedup is real.

The main flow, one subpackage each: tasks -> candidates -> sandbox (the worker's isolation) -> worker (code
that runs in worker processes) -> verify (output checks) -> timing (statistics) -> evaluate (the trusted
orchestrator and its verdicts) -> report.

Exports are resolved lazily so that a worker process, which imports `assay.worker`, loads no orchestrator code.

    import assay
    result = assay.evaluate("tasks/l1_softmax", "my_kernel.py")      # a fresh evaluator for one call
    with assay.Evaluator() as ev:                                      # or one warm evaluator for many
        result = ev.evaluate("tasks/l1_softmax", source_text, name="attempt-3")
    with assay.RayEvaluator("auto") as cluster:                        # or one per timing CPU of a Ray cluster
        result = cluster.evaluate("tasks/l1_softmax", source_text)
    assay.reward(result)

`assay.evaluate` is the subpackage `assay.evaluate`, made callable: calling it calls
`assay.evaluate.evaluate` (see that package's docstring for why it is not a separate function).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # for type checkers, the top-level name is the function that calling the package runs
    from assay.evaluate._evaluate import evaluate as evaluate

_EXPORTS = {
    "AssayError": "assay.errors",
    "InfrastructureError": "assay.errors",
    "SandboxError": "assay.errors",
    "TaskError": "assay.errors",
    "UserError": "assay.errors",
    "EvalConfig": "assay.evaluate",
    "EvalError": "assay.evaluate",
    "EvalResult": "assay.evaluate",
    "Evaluator": "assay.evaluate",
    "Flag": "assay.evaluate",
    "RayEvaluator": "assay.cluster",
    "RewardPolicy": "assay.evaluate",
    "Verdict": "assay.evaluate",
    "evaluate": "assay",
    "reward": "assay.evaluate",
    "safe_text": "assay.report",
    "Task": "assay.tasks",
    "load_suite": "assay.tasks",
    "load_task": "assay.tasks",
}

__all__ = sorted(_EXPORTS)
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'assay' has no attribute {name!r}")
    if name == "evaluate":  # the callable subpackage; importing it binds it here
        return importlib.import_module("assay.evaluate")
    return getattr(importlib.import_module(module), name)
