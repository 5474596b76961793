"""The evaluator: the trusted orchestrator that turns a task and a candidate into a verdict."""

from assay.evaluate._config import EvalConfig
from assay.evaluate._evaluate import Evaluator, evaluate
from assay.evaluate._result import RESULT_VERSION, EvalResult, Flag, Roofline, Timing, Verdict

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
