"""The adapters against the real frameworks: OpenEvolve's evaluator loads ours from a file and calls it from its
thread pool; Inspect AI runs a whole eval whose model is its built-in mock (no API: the reply is scripted)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from assay.adapters import extract_code
from tests.conftest import FIXTURES

TASK = FIXTURES / "eval" / "task_tanh.py"
HONEST = (FIXTURES / "eval" / "honest.py").read_text()
WRONG = (FIXTURES / "eval" / "wrong.py").read_text()
QUICK_ARGS = "EvalConfig(timeout_s=120, min_rounds=6, timing_budget_s=0.3, warmup_s=0.05, call_timeout_s=5)"


def test_extract_code_takes_the_last_block_that_defines_modelnew() -> None:
    reply = f"First try:\n```python\nx = 1\n```\nBetter:\n```python\n{HONEST}```\nDone."
    assert extract_code(reply) == HONEST
    assert extract_code("```\nprint(1)\n```") == "print(1)\n"
    assert extract_code(HONEST) == HONEST
    assert extract_code("no code here") is None


def test_openevolve_loads_and_calls_the_adapter(tmp_path: Path) -> None:
    openevolve = pytest.importorskip("openevolve", reason="the dev extra installs openevolve")
    from openevolve.config import EvaluatorConfig
    from openevolve.evaluator import Evaluator as OpenEvolveRunner

    del openevolve
    evaluator_file = tmp_path / "evaluator.py"
    evaluator_file.write_text(
        "from assay.adapters import OpenEvolveEvaluator\n"
        "from assay.evaluate import EvalConfig\n"
        f"evaluate = OpenEvolveEvaluator({str(TASK)!r}, {QUICK_ARGS}, artifacts=True)\n"
    )
    runner = OpenEvolveRunner(
        EvaluatorConfig(timeout=300, max_retries=0, cascade_evaluation=False), str(evaluator_file)
    )

    async def both() -> tuple[dict[str, float], dict[str, float]]:
        return await runner.evaluate_program(HONEST, "honest"), await runner.evaluate_program(WRONG, "wrong")

    honest, wrong = asyncio.run(both())
    assert honest["verified"] == 1.0 and honest["combined_score"] >= 0.0, honest
    assert honest["speedup_low"] <= honest["speedup"] <= honest["speedup_high"]
    assert wrong == {**wrong, "verified": 0.0, "combined_score": -1.0, "speedup": 0.0}
    artifacts = runner.get_pending_artifacts("wrong")
    assert artifacts is not None and artifacts["verdict"] == "incorrect" and "differ" in str(artifacts["message"])


def test_inspect_eval_scores_a_scripted_reply(tmp_path: Path) -> None:
    pytest.importorskip("inspect_ai", reason="the dev extra installs inspect-ai")
    from inspect_ai import Task, eval
    from inspect_ai.dataset import Sample
    from inspect_ai.model import ModelOutput, ModelUsage, get_model

    from assay.adapters import assay_scorer
    from assay.evaluate import EvalConfig

    quick = EvalConfig(timeout_s=120, min_rounds=6, timing_budget_s=0.3, warmup_s=0.05, call_timeout_s=5)
    replies = {
        "honest": f"Here it is:\n```python\n{HONEST}```",
        "wrong": f"```python\n{WRONG}```",
        "none": "I cannot do that.",
    }

    def reply(messages: list[Any], *_: Any) -> ModelOutput:
        """The scripted reply for the sample whose prompt names it, whatever order the samples run in."""
        output = ModelOutput.from_content("mockllm/model", replies[messages[-1].text])
        output.usage = ModelUsage(input_tokens=10, output_tokens=10, total_tokens=20)  # given: no token counting
        return output

    model = get_model("mockllm/model", custom_outputs=reply)
    samples = [Sample(input=name, id=name, metadata={"task": str(TASK)}) for name in replies]
    (log,) = eval(
        Task(dataset=samples, scorer=assay_scorer(config=quick)),
        model=model,
        log_dir=str(tmp_path),
        max_samples=1,
        display="none",
    )
    assert log.status == "success", log.error.traceback if log.error else ""
    assert log.samples is not None
    scores = {s.id: next(iter(s.scores.values())) for s in log.samples if s.scores}
    honest, wrong, none = scores["honest"], scores["wrong"], scores["none"]
    assert honest.metadata is not None and honest.metadata["verdict"] == "verified", honest.explanation
    assert isinstance(honest.value, float) and honest.value >= 0.0
    assert wrong.value == -1.0 and wrong.metadata is not None and wrong.metadata["verdict"] == "incorrect"
    assert none.value == -1.0 and "no code" in str(none.explanation)
