"""Facts: every number and named thing a write-up may state, each with where it is stored.

A report is built from facts and nothing else: its prose, its tables and its plots read them, an LLM narrative is
written from them (`facts.json` is what the model sees), and the reviewer checks every sentence against them. A
fact's `source` names the stored record it comes from (`evaluations #14`, `runs.config`, `score_log.jsonl entry
3`), or says how it is derived from such records.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

FACTS_VERSION = 1

# What a number is, so that "3.2 min" can be checked against a fact in seconds and "84%" against a fraction.
Unit = Literal["x", "s", "ms", "min", "fraction", "percent", "count", "id", "usd", "score", "tokens", "text", ""]

VERDICTS = ("verified", "incorrect", "flagged", "crashed", "timeout", "limit")
STAGES = ("translate", "evolve", "crossover", "repair")


class Fact(BaseModel):
    """One stored fact. A text fact with `choices` is one value of a closed vocabulary (a verdict, a stage): a
    sentence that cites it and names another value of that vocabulary contradicts it."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    id: str
    value: int | float | str | None
    unit: Unit = ""
    about: str
    source: str
    choices: tuple[str, ...] = ()

    @property
    def numeric(self) -> bool:
        return isinstance(self.value, int | float) and not isinstance(self.value, bool)


class Facts(BaseModel):
    """`facts.json`: the facts of one run, environment or bench file."""

    model_config = ConfigDict(extra="forbid")
    version: int = FACTS_VERSION
    kind: Literal["run", "env", "bench"]
    subject: str  # the run id, the state directory, the results file
    facts: list[Fact] = Field(default_factory=list)
    _index: dict[str, Fact] = PrivateAttr(default_factory=dict)

    def get(self, fact_id: str) -> Fact | None:
        if len(self._index) != len(self.facts):
            self._index = {f.id: f for f in self.facts}
        return self._index.get(fact_id)

    def __getitem__(self, fact_id: str) -> Fact:
        fact = self.get(fact_id)
        if fact is None:
            raise KeyError(fact_id)
        return fact

    def __contains__(self, fact_id: object) -> bool:
        return isinstance(fact_id, str) and self.get(fact_id) is not None

    def value(self, fact_id: str) -> int | float | str | None:
        fact = self.get(fact_id)
        return None if fact is None else fact.value


class FactBook:
    """Collects facts while a loader reads the stored records; ids must be unique."""

    def __init__(self, kind: Literal["run", "env", "bench"], subject: str) -> None:
        self.kind, self.subject = kind, subject
        self._facts: dict[str, Fact] = {}

    def add(
        self,
        fact_id: str,
        value: int | float | str | None,
        unit: Unit,
        about: str,
        source: str,
        choices: tuple[str, ...] = (),
    ) -> None:
        if fact_id in self._facts:
            raise ValueError(f"fact {fact_id} added twice")
        if isinstance(value, float) and value != value:  # NaN: nothing can be checked against it
            value = None
        self._facts[fact_id] = Fact(id=fact_id, value=value, unit=unit, about=about, source=source, choices=choices)

    def __contains__(self, fact_id: object) -> bool:
        return fact_id in self._facts

    def build(self) -> Facts:
        # Constants of the protocol that any sentence may use without citing them ("a 95% interval").
        if "protocol.confidence" not in self._facts:
            self.add(
                "protocol.confidence",
                95,
                "percent",
                "the confidence level of every speedup interval",
                "EvalResult.speedup_ci (the evaluator's 95% interval)",
            )
        return Facts(kind=self.kind, subject=self.subject, facts=list(self._facts.values()))
