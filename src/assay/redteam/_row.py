"""What a red-team run reports: one row per corpus file, and the run around them (printed by `--json`)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

REPORT_VERSION = 1


class RedteamRow(BaseModel):
    """One corpus file run through the real evaluator, and whether assay behaved as the header promised."""

    model_config = ConfigDict(frozen=True)

    file: str
    kind: str  # "attack" | "control"
    attack: str  # catalog id, or the control's name
    variant: str
    task: str
    expected: str
    verdict: str  # an EvalResult verdict, or "error" when assay itself failed
    speedup: float | None = None
    flags: list[str] = Field(default_factory=list)
    caught: str = ""  # the flag evidence or the message that shows how it was caught, shortened
    side_effects: str = "ok"  # "ok", or every breach found
    isolation: str = ""
    elapsed_s: float = 0.0
    naive: str | None = None  # the naive harness's reading of this attack, when asked for
    reasons: list[str] = Field(default_factory=list)  # why the row failed; empty when it passed
    passed: bool = False


class RedteamReport(BaseModel):
    version: int = REPORT_VERSION
    corpus: str
    isolation: list[str]
    rows: list[RedteamRow]
    passed: int
    failed: int
    uncovered: dict[str, str]  # catalog rows no attack names, with the reason
    elapsed_s: float
