"""Shared fixtures: one warm evaluator per test session (its zygote imports torch once)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from assay.evaluate import EvalConfig, Evaluator

FIXTURES = Path(__file__).parent / "fixtures"

# Fewer rounds than the defaults: these tests check verdicts, not precision (bench/ measures precision).
QUICK = EvalConfig(timeout_s=120, min_rounds=6, timing_budget_s=0.3, warmup_s=0.05, call_timeout_s=5)


@pytest.fixture(scope="session")
def evaluator() -> Iterator[Evaluator]:
    with Evaluator() as ev:
        yield ev
