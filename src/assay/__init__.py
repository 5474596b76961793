"""assay: get faster code out of AI systems and prove every claimed speedup is real.

The main flow, one subpackage each: tasks -> candidates -> sandbox (the worker's isolation) -> worker (code
that runs in worker processes) -> verify (output checks) -> timing (statistics) -> evaluate (the trusted
orchestrator and its verdicts) -> report.

Exports are resolved lazily so that a worker process, which imports `assay.worker`, loads no orchestrator code.
The one-call function is `assay.evaluate.evaluate`: at the top level the name `evaluate` is the subpackage.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "AssayError": "assay.errors",
    "InfrastructureError": "assay.errors",
    "SandboxError": "assay.errors",
    "TaskError": "assay.errors",
    "UserError": "assay.errors",
    "EvalConfig": "assay.evaluate",
    "EvalResult": "assay.evaluate",
    "Evaluator": "assay.evaluate",
    "Flag": "assay.evaluate",
    "Verdict": "assay.evaluate",
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
    return getattr(importlib.import_module(module), name)
