"""The evaluator: the trusted orchestrator that turns a task and a candidate into a verdict.

Exports resolve on first use, so that importing `assay.evaluate._zygote` (stdlib only) stays cheap: the
command line starts the zygote, and with it torch's 1.5 s import, before it imports anything else.
"""

from __future__ import annotations

import importlib
import typing

if typing.TYPE_CHECKING:
    from assay.evaluate._config import EvalConfig
    from assay.evaluate._evaluate import Evaluator, evaluate
    from assay.evaluate._result import RESULT_VERSION, EvalResult, Flag, Roofline, Timing, Verdict

_EXPORTS = {
    "RESULT_VERSION": "_result",
    "EvalConfig": "_config",
    "EvalResult": "_result",
    "Evaluator": "_evaluate",
    "Flag": "_result",
    "Roofline": "_result",
    "Timing": "_result",
    "Verdict": "_result",
    "evaluate": "_evaluate",
}

__all__ = [
    "RESULT_VERSION",
    "EvalConfig",
    "EvalResult",
    "Evaluator",
    "Flag",
    "Roofline",
    "Timing",
    "Verdict",
    "evaluate",
]


def __getattr__(name: str) -> typing.Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'assay.evaluate' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"assay.evaluate.{module}"), name)
    globals()[name] = value
    return value
