"""The result of one evaluation: what `assay eval --json` prints (DESIGN.md section 1; keep it stable)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

RESULT_VERSION = 1


class Verdict(StrEnum):
    VERIFIED = "verified"  # correct on every check, speed measured
    INCORRECT = "incorrect"
    FLAGGED = "flagged"  # an integrity violation was detected
    CRASHED = "crashed"
    TIMEOUT = "timeout"
    LIMIT = "limit"  # a resource limit was hit


class Flag(BaseModel):
    """An integrity finding with the evidence a person needs to judge it."""

    model_config = ConfigDict(frozen=True)
    id: str
    evidence: str


class Roofline(BaseModel):
    floor_ms: float
    reference_fraction: float | None = None
    candidate_fraction: float | None = None


class Timing(BaseModel):
    """Raw samples (pyperf: keep the samples, not only the summary). One sample = one block of calls.

    `*_ms` are the official samples, measured by the orchestrator: the worker's CPU time over the block when
    `clock` is "cpu", its wall time when `clock` is "wall" (CUDA). `*_wall_ms` are the orchestrator's wall times
    and `*_inner_ms` what the workers reported, both kept for the cross-checks.
    """

    calls_per_sample: int
    clock: str = "cpu"
    reference_ms: list[float] = Field(default_factory=list)
    candidate_ms: list[float] = Field(default_factory=list)
    reference_wall_ms: list[float] = Field(default_factory=list)
    candidate_wall_ms: list[float] = Field(default_factory=list)
    reference_inner_ms: list[float] = Field(default_factory=list)
    candidate_inner_ms: list[float] = Field(default_factory=list)
    reference_interrupts: list[int] = Field(default_factory=list)  # the timing CPU's, per block; -1: not countable
    candidate_interrupts: list[int] = Field(default_factory=list)
    reference_first: list[bool] = Field(default_factory=list)  # the randomized order of each round
    warmup_rounds: int = 0


class EvalResult(BaseModel):
    model_config = ConfigDict(use_enum_values=True)

    version: int = RESULT_VERSION
    verdict: Verdict
    speedup: float | None = None
    speedup_ci: list[float] | None = None
    reference_ms: float | None = None
    candidate_ms: float | None = None
    flags: list[Flag] = Field(default_factory=list)
    isolation: dict[str, Any] = Field(default_factory=dict)
    message: str = ""
    comparison: str | None = None  # "faster" | "slower" | "no measurable difference"
    task: str = ""
    candidate: str = ""
    sizes: dict[str, int] = Field(default_factory=dict)
    calls_checked: int = 0
    roofline: Roofline | None = None
    scan: list[str] = Field(default_factory=list)  # static-scan telemetry; never a verdict on its own
    warnings: list[str] = Field(default_factory=list)  # about the machine or the measurement, not the candidate
    timing: Timing | None = None
    environment: dict[str, Any] = Field(default_factory=dict)
    elapsed_s: float = 0.0

    @property
    def ok(self) -> bool:
        return self.verdict == Verdict.VERIFIED
