"""The evaluator: the trusted orchestrator that turns a task and a candidate into a verdict.

Exports resolve on first use, so that importing `assay.evaluate._zygote` (stdlib only) stays cheap: the
command line starts the zygote, and with it torch's 1.5 s import, before it imports anything else.

The package is also callable: `assay.evaluate(task, candidate)` is `assay.evaluate.evaluate(task, candidate)`.
Python binds a subpackage to its parent's attribute of the same name whenever it is imported, so a function
named `assay.evaluate` would be replaced by this package as soon as anything imported `assay.evaluate.X`;
making the package itself callable keeps one object under that name, whatever was imported first.
"""

from __future__ import annotations

import importlib
import sys
import types
import typing

if typing.TYPE_CHECKING:
    from pathlib import Path

    from assay.evaluate._config import EvalConfig
    from assay.evaluate._evaluate import Evaluator, evaluate
    from assay.evaluate._result import RESULT_VERSION, EvalError, EvalResult, Flag, Roofline, Timing, Verdict
    from assay.evaluate._reward import DEFAULT_POLICY, RewardPolicy, reward
    from assay.tasks import Task

_EXPORTS = {
    "DEFAULT_POLICY": "_reward",
    "RESULT_VERSION": "_result",
    "EvalConfig": "_config",
    "EvalError": "_result",
    "EvalResult": "_result",
    "Evaluator": "_evaluate",
    "Flag": "_result",
    "Roofline": "_result",
    "Timing": "_result",
    "RewardPolicy": "_reward",
    "Verdict": "_result",
    "evaluate": "_evaluate",
    "reward": "_reward",
}

__all__ = [
    "DEFAULT_POLICY",
    "RESULT_VERSION",
    "EvalConfig",
    "EvalError",
    "EvalResult",
    "Evaluator",
    "Flag",
    "RewardPolicy",
    "Roofline",
    "Timing",
    "Verdict",
    "evaluate",
    "reward",
]


def __getattr__(name: str) -> typing.Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'assay.evaluate' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"assay.evaluate.{module}"), name)
    globals()[name] = value
    return value


class _CallableModule(types.ModuleType):
    """`assay.evaluate` itself: a package that can be called like its `evaluate` function."""

    def __call__(
        self,
        task: Task | str | Path,
        candidate: str | Path,
        config: EvalConfig | None = None,
        *,
        name: str | None = None,
    ) -> EvalResult:
        """Evaluate one candidate on one task with a fresh evaluator: `assay.evaluate.evaluate`."""
        function: typing.Callable[..., EvalResult] = __getattr__("evaluate")
        return function(task, candidate, config, name=name)


sys.modules[__name__].__class__ = _CallableModule
