"""The public API: the README's example runs, `assay.evaluate` is both the package and the function, every
result field is documented, the JSON keeps its shape, and the reward policy orders results as documented."""

from __future__ import annotations

import importlib
import math
import re
import subprocess
import sys
from pathlib import Path

import pytest

import assay
from assay.evaluate import EvalError, EvalResult, Flag, RewardPolicy, Verdict, reward

ROOT = Path(__file__).resolve().parents[1]


def _readme_example() -> str:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Python API", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match, "the README's Python API section has no python block"
    return match.group(1)


def test_the_readme_example_runs() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", _readme_example()], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    first, second, third = proc.stdout.splitlines()
    assert first.startswith("verified "), proc.stdout  # the in-place candidate is correct
    assert second.startswith("reward: ") and float(second.split()[1]) >= 0.0
    assert third.startswith("tasks/l2_gemm_scale_clamp/reference.py verified ")


def test_assay_evaluate_is_the_package_and_calls_the_function() -> None:
    package = importlib.import_module("assay.evaluate")
    assert assay.evaluate is package and callable(package)
    from assay.evaluate import EvalConfig, Evaluator  # the documented imports still work

    assert assay.Evaluator is Evaluator and assay.EvalResult is EvalResult and EvalConfig is not None
    with pytest.raises(assay.UserError, match="candidate not found"):
        assay.evaluate(ROOT / "tests" / "fixtures" / "eval" / "task_tanh.py", ROOT / "no_such_candidate.py")


def test_every_result_field_is_documented_and_the_json_keeps_its_keys() -> None:
    for model in (EvalResult, EvalError, Flag):
        undocumented = [name for name, field in model.model_fields.items() if not field.description]
        assert not undocumented, f"{model.__name__}: {undocumented}"
    assert all(member.__doc__ for member in Verdict)
    keys = list(EvalResult(verdict=Verdict.CRASHED).model_dump())
    assert keys[:9] == ["version", "verdict", "speedup", "speedup_ci", "reference_ms", "candidate_ms", "flags",
                        "isolation", "message"]  # fmt: skip
    error = EvalError(error="SandboxError", message="no sandbox").model_dump()
    assert error["verdict"] is None and set(keys[:9]) <= set(error)


def _r(verdict: str, ci: tuple[float, float] | None = None, comparison: str | None = None) -> EvalResult:
    speedup = None if ci is None else math.sqrt(ci[0] * ci[1])
    return EvalResult(
        verdict=Verdict(verdict), speedup=speedup, speedup_ci=list(ci) if ci else None, comparison=comparison
    )


def test_reward_policy() -> None:
    faster = reward(_r("verified", (1.9, 2.1), "faster"))
    assert faster == pytest.approx(math.log(1.9))  # the interval's low end, not the point estimate
    assert reward(_r("verified", (0.99, 1.02), "no measurable difference")) == 0.0
    assert reward(_r("verified", (0.5, 0.55), "slower")) == 0.0
    for failed in ("incorrect", "crashed", "timeout", "limit"):
        assert reward(_r(failed)) == -1.0
    assert reward(_r("flagged", (9.0, 11.0))) == -2.0  # a flagged "speedup" is never paid
    assert reward(_r("flagged")) < reward(_r("crashed")) < reward(_r("verified", (0.5, 0.6), "slower")) < faster
    assert reward(_r("crashed"), RewardPolicy(failed=-0.5, flagged=-1.0)) == -0.5
    with pytest.raises(ValueError, match="flagged < failed"):
        RewardPolicy(failed=-2.0, flagged=-1.0)
