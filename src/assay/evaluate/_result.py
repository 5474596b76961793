"""The result of one evaluation: what `assay eval --json` prints (docs/design.md section 1; keep it stable).

Field order is the JSON's key order: new fields go at the end, existing ones never move or change type.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

RESULT_VERSION = 1


class Verdict(StrEnum):
    """What the evaluator concluded. Only `verified` carries a trusted speedup; `assay eval` exits 0 for it alone."""

    VERIFIED = "verified"
    """Correct on every call that was checked (every timed call included), and timed."""
    INCORRECT = "incorrect"
    """An output differs from the reference's: shape, dtype, type, or values beyond the task's tolerance."""
    FLAGGED = "flagged"
    """An integrity violation was detected; `EvalResult.flags` holds at least one finding with its evidence."""
    CRASHED = "crashed"
    """The candidate raised, exited, did not parse, or defines no `ModelNew`."""
    TIMEOUT = "timeout"
    """A call, the construction, or the whole evaluation took too long."""
    LIMIT = "limit"
    """A memory, CPU-time or file-size limit of the sandbox was hit."""


class Flag(BaseModel):
    """An integrity finding with the evidence a person needs to judge it."""

    model_config = ConfigDict(frozen=True, use_attribute_docstrings=True)
    id: str
    """Which check fired: `tensor-subclass`, `thread-left-running`, `input-mutated`, `clock-mismatch`, ..."""
    evidence: str
    """What was observed, in words and numbers. May quote candidate text: sanitise before printing."""


class Roofline(BaseModel):
    """The task's declared work against this machine's measured peaks (`assay machine`)."""

    model_config = ConfigDict(use_attribute_docstrings=True)
    floor_ms: float
    """The least time one call can take on this machine: declared FLOPs and bytes over the peaks."""
    reference_fraction: float | None = None
    """floor / the reference's time per call: the share of the machine's peak the reference reaches."""
    candidate_fraction: float | None = None
    """floor / the candidate's time per call."""


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
    reference_twin: list[int] = Field(default_factory=list)  # which of the reference's two processes ran it
    twin_ratio: float | None = None  # the speedup over twin 0's rounds / over twin 1's; None with one process
    between_sd: float = 0.0  # the log-sd between evaluations added to the interval (the usual, or the twins')
    warmup_rounds: int = 0


class EvalResult(BaseModel):
    """One candidate on one task: the verdict, the speedup and its interval, and the evidence behind them.

    Only a `verified` result's speedup is trusted. Text fields (`message`, flag evidence, `scan`, `task`,
    `candidate`) may carry what a candidate wrote: print them through `assay.report.safe_text`.
    """

    model_config = ConfigDict(use_enum_values=True, use_attribute_docstrings=True)

    version: int = RESULT_VERSION
    """Format version of this object (`RESULT_VERSION`)."""
    verdict: Verdict
    """One of `verified`, `incorrect`, `flagged`, `crashed`, `timeout`, `limit` (see `Verdict`); a plain string."""
    speedup: float | None = None
    """The reference's mean time per call over the candidate's, over every timed round; None unless timed."""
    speedup_ci: list[float] | None = None
    """The speedup's 95% interval `[low, high]` (bootstrap, widened by the spread between evaluations)."""
    reference_ms: float | None = None
    """The reference's central time per call, in milliseconds (CPU time on the CPU, wall time on CUDA)."""
    candidate_ms: float | None = None
    """The candidate's central time per call, in milliseconds."""
    flags: list[Flag] = Field(default_factory=list)
    """Integrity findings; a `flagged` verdict has at least one."""
    isolation: dict[str, Any] = Field(default_factory=dict)
    """The sandbox the candidate ran in: `level` (L0-L3), `layers` in force, and `gaps` (what is missing)."""
    message: str = ""
    """One sentence a person can act on when the verdict is not `verified` (which call, which element, ...)."""
    comparison: str | None = None
    """`faster` (interval above 1 and speedup >= 1.02), `slower`, or `no measurable difference`."""
    task: str = ""
    """The task's name."""
    candidate: str = ""
    """The candidate's path, or the name given to `evaluate(..., name=)` (`<source>` for source text)."""
    sizes: dict[str, int] = Field(default_factory=dict)
    """Size constants overridden for this run (`--size`, `--shrink`); empty at the task's own sizes."""
    calls_checked: int = 0
    """Calls whose every output element was compared with the reference's."""
    roofline: Roofline | None = None
    """The roofline comparison, when the task declares its work and the machine has a profile."""
    scan: list[str] = Field(default_factory=list)
    """Static-scan telemetry (`exec`, `ctypes`, threads, ...); never a verdict on its own."""
    warnings: list[str] = Field(default_factory=list)
    """About the machine or the measurement, not the candidate: load, weak isolation, shrunk sizes."""
    timing: Timing | None = None
    """The raw samples behind the speedup."""
    environment: dict[str, Any] = Field(default_factory=dict)
    """torch and Python versions, CPU, pinned CPU, load average."""
    elapsed_s: float = 0.0
    """Wall time of the whole evaluation, in seconds."""

    @property
    def ok(self) -> bool:
        """Whether the verdict is `verified`."""
        return self.verdict == Verdict.VERIFIED


class EvalError(BaseModel):
    """What `--json` prints, and a bench results file keeps, when an evaluation could not run at all.

    It has the fields of `EvalResult` that a reader of docs/design.md section 1 indexes, with `verdict` null, so
    that one JSON object always comes out and a reader can tell "no verdict" from any verdict.
    """

    model_config = ConfigDict(use_attribute_docstrings=True)

    version: int = RESULT_VERSION
    """Format version, as `EvalResult.version`."""
    verdict: None = None
    """Always null: nothing was concluded about the candidate."""
    error: str
    """The kind of failure: the exception's class name (`SandboxError`, `TaskError`, `UserError`, ...)."""
    message: str
    """One sentence saying what went wrong."""
    speedup: None = None
    """Always null: nothing was measured (so are `speedup_ci`, `reference_ms` and `candidate_ms`)."""
    speedup_ci: None = None
    """Always null."""
    reference_ms: None = None
    """Always null."""
    candidate_ms: None = None
    """Always null."""
    flags: list[Flag] = Field(default_factory=list)
    """Always empty."""
    isolation: dict[str, Any] = Field(default_factory=dict)
    """Always empty: no sandbox was reached, or none is reported."""
    task: str = ""
    """The task's name or path, when known."""
    candidate: str = ""
    """The candidate's path or name, when known."""
