"""An Inspect AI scorer: the model's reply is a candidate; its score is `assay.reward` of its evaluation.

    from inspect_ai import Task, task
    from inspect_ai.dataset import Sample
    from assay.adapters import assay_scorer

    @task
    def softmax_kernel() -> Task:
        return Task(dataset=[Sample(input=PROMPT)], scorer=assay_scorer("tasks/l1_softmax"))

The candidate is the last fenced code block that defines `ModelNew` (or the whole reply when it is code).
Without a fixed task, each sample names its own in `metadata={"task": "tasks/l1_softmax"}`. Needs the
`inspect-ai` package (`pip install 'assay[inspect]'`).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from inspect_ai.scorer import Score, Scorer, Target, mean, scorer, stderr
from inspect_ai.solver import TaskState

from assay.adapters._shared import SHARED, as_task, extract_code
from assay.evaluate import DEFAULT_POLICY, EvalConfig, RewardPolicy, reward
from assay.report import speed_text


@scorer(metrics=[mean(), stderr()])
def assay_scorer(
    task: str | Path | None = None, config: EvalConfig | None = None, policy: RewardPolicy = DEFAULT_POLICY
) -> Scorer:
    """Score a reply by evaluating the code in it on `task` (or on the sample's `metadata["task"]`).

    The value is the reward (see `assay.evaluate.reward`); the explanation says what the evaluator found; the
    metadata holds the verdict, the speedup and its interval, and the flags.
    """
    fixed = as_task(task) if task is not None else None

    async def score(state: TaskState, target: Target) -> Score:
        source = extract_code(state.output.completion)
        if source is None:
            return Score(value=policy.failed, answer="", explanation="the reply holds no code block")
        named = (state.metadata or {}).get("task")
        if fixed is None and named is None:
            raise ValueError("assay_scorer needs a task: assay_scorer(task=...) or metadata={'task': ...}")
        the_task = fixed if fixed is not None else as_task(str(named))
        code = source if "\n" in source else source + "\n"  # a str with a newline is source text
        result = await asyncio.to_thread(SHARED.evaluate, the_task, code, config, f"sample {state.sample_id}")
        explanation = f"{result.verdict}: {result.message or speed_text(result)}"
        return Score(
            value=reward(result, policy),
            answer=source,
            explanation=explanation,
            metadata={
                "verdict": str(result.verdict),
                "speedup": result.speedup,
                "speedup_ci": result.speedup_ci,
                "flags": [f.id for f in result.flags],
            },
        )

    return score
