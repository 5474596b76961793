"""What the run file holds, as values: rows read back, and the new rows the search hands to the store."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assay.evaluate import EvalResult


@dataclass(frozen=True)
class RunInfo:
    id: str
    path: Path  # the run file
    created: float
    updated: float
    task_name: str
    task_path: str
    task_sha256: str
    seed: int
    config: str  # JSON
    status: str
    stop_reason: str
    elapsed_s: float
    sessions: int
    pid: int
    host: str


@dataclass(frozen=True)
class NewCandidate:
    step: int
    attempt: int
    stage: str
    island: int
    proposer: str
    source: str | None
    parent_ids: tuple[int, ...] = ()
    inspiration_ids: tuple[int, ...] = ()
    model: str = ""
    description: str = ""
    source_sha256: str | None = None
    normalized_sha256: str | None = None
    features: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class NewCall:
    """One LLM call (or any proposal that has a prompt or a reply): stored verbatim with its usage."""

    proposer: str
    model: str
    prompt: str
    reply: str
    error: str = ""
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0


@dataclass(frozen=True)
class CandidateRow:
    id: int
    step: int
    attempt: int
    stage: str
    island: int
    parent_ids: tuple[int, ...]
    inspiration_ids: tuple[int, ...]
    proposer: str
    model: str
    description: str
    source: str | None
    source_sha256: str | None
    normalized_sha256: str | None
    features: dict[str, Any]
    status: str
    reject_reason: str
    created: float


@dataclass(frozen=True)
class CallRow:
    id: int
    candidate_id: int
    proposer: str
    model: str
    prompt: str
    reply: str
    error: str
    input_tokens: int
    output_tokens: int
    cost_usd: float
    created: float


@dataclass(frozen=True)
class EvaluationRow:
    id: int
    candidate_id: int
    kind: str
    verdict: str
    speedup: float | None
    ci_low: float | None
    ci_high: float | None
    fitness: float | None
    result_json: str
    created: float

    def result(self) -> EvalResult:
        return EvalResult.model_validate_json(self.result_json)


@dataclass(frozen=True)
class ScoreEntry:
    id: int
    time: float
    elapsed_s: float
    evaluation_id: int
    candidate_id: int
    score: float | None
    best: float | None
    message: str


@dataclass(frozen=True)
class UsageTotals:
    """Totals over a run's LLM calls."""

    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0

    @property
    def tokens(self) -> int:
        return self.input_tokens + self.output_tokens
