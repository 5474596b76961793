"""OpenEvolve's evaluator contract: a file whose `evaluate(program_path)` returns a dict of numeric metrics.

    # evaluator.py, given to `openevolve-run.py initial_program.py evaluator.py`
    from assay.adapters import OpenEvolveEvaluator
    evaluate = OpenEvolveEvaluator("tasks/l1_softmax")

OpenEvolve writes each evolved program to a temporary `.py` file and calls `evaluate(path)` from a thread
pool; `combined_score` is what it maximises (`assay.reward`: log of the interval's low end when verified and
faster, 0 when verified and not faster, -1 when it fails, -2 when flagged).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assay.adapters._shared import SHARED, as_task
from assay.evaluate import DEFAULT_POLICY, EvalConfig, EvalResult, RewardPolicy, reward
from assay.tasks import Task


def metrics(result: EvalResult, policy: RewardPolicy = DEFAULT_POLICY) -> dict[str, float]:
    """The numeric metrics of one result: `combined_score` (the reward), `verified`, and the speedup with its
    interval (0 when not measured, so that every metric is a float)."""
    low, high = result.speedup_ci or (0.0, 0.0)
    return {
        "combined_score": reward(result, policy),
        "verified": 1.0 if result.ok else 0.0,
        "flagged": 1.0 if result.verdict == "flagged" else 0.0,
        "speedup": result.speedup if result.ok and result.speedup is not None else 0.0,
        "speedup_low": low if result.ok else 0.0,
        "speedup_high": high if result.ok else 0.0,
    }


class OpenEvolveEvaluator:
    """`evaluate(program_path) -> dict[str, float]` for one task, with one warm evaluator per process.

    With `artifacts=True` it returns OpenEvolve's own `EvaluationResult`, whose artifacts (the verdict and
    the message: which element differed, what raised) OpenEvolve shows the model in its next prompt; that
    needs the `openevolve` package (`pip install 'assay[openevolve]'`).

    Raises (from a call):
        UserError: the program file is missing. InfrastructureError: the sandbox or a trusted worker failed.
    """

    def __init__(
        self,
        task: Task | str | Path,
        config: EvalConfig | None = None,
        policy: RewardPolicy = DEFAULT_POLICY,
        artifacts: bool = False,
    ) -> None:
        self.task = as_task(task)
        self.config = config
        self.policy = policy
        self.artifacts = artifacts

    def __call__(self, program_path: str) -> Any:
        result = SHARED.evaluate(self.task, Path(program_path), self.config)
        values = metrics(result, self.policy)
        if not self.artifacts:
            return values
        from openevolve.evaluation_result import EvaluationResult

        notes = {
            "verdict": str(result.verdict),
            "message": result.message,
            "flags": ", ".join(f.id for f in result.flags),
        }
        return EvaluationResult(metrics=values, artifacts={k: v for k, v in notes.items() if v})
