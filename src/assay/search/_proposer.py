"""What a proposer is: anything that turns a request (a task, parents, their evaluator feedback) into candidate
source. Trusted side: proposers run in the orchestrator and never execute candidate code; every proposal is
judged by the evaluator like any other candidate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

from assay.evaluate import EvalResult
from assay.tasks import Task

Stage = Literal["translate", "evolve", "crossover", "repair"]


@dataclass(frozen=True)
class Parent:
    """A candidate already in the run's database, with what the evaluator said of it (None: not evaluated)."""

    id: int
    source: str
    result: EvalResult | None = None


@dataclass(frozen=True)
class Usage:
    """What one proposal cost: tokens in and out, and money at the run's price table (0 offline)."""

    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0


@dataclass(frozen=True)
class ProposalRequest:
    """One ask. `parents` holds one parent for evolve, two for crossover, none for translate; for repair, the
    child that failed (its `result` says how) with the child's own parents as `inspirations`. Otherwise
    `inspirations` are other verified candidates shown for ideas. `seed` makes a proposer repeatable: it comes
    from (run seed, step, attempt). `feedback` says why an earlier attempt of this step was not evaluated (no
    program in the reply, a syntax error, a duplicate of another candidate). `key` names the request within the
    run (LLM proposers send it as an Idempotency-Key header)."""

    task: Task
    stage: Stage
    parents: tuple[Parent, ...] = ()
    inspirations: tuple[Parent, ...] = ()
    attempt: int = 0  # repair attempts made so far for this child
    seed: int = 0
    feedback: str = ""
    key: str = ""


@dataclass(frozen=True)
class Proposal:
    """A proposer's answer. `source` is None when the reply could not be turned into a program (recorded, and
    it costs one attempt). `prompt` and `reply` are stored verbatim in the run's database."""

    source: str | None
    proposer: str
    model: str = ""
    prompt: str = ""
    reply: str = ""
    description: str = ""
    usage: Usage = field(default_factory=Usage)
    error: str = ""


class Proposer(Protocol):
    """Registered by name; the command line picks one with `--proposer NAME`.

    A proposer may also set `concurrent = True` when its work is waiting (HTTP calls): the search then runs
    `--parallel` proposals in threads. Others run one at a time in the search's thread, between evaluations.
    """

    name: str

    def propose(self, request: ProposalRequest) -> Proposal: ...
