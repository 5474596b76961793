"""What an environment keeps on disk, outside the workspace: `env.json`, the score log, and their formats.

The state directory (mode 0700, owned by the scorer's user) holds:

    env.json            the environment: task, workspace, socket, clock, budget, evaluation settings, baselines
    task/               the scorer's own copy of the task (task.py, task.toml, start.py, reference.py)
    score_log.jsonl     one `LogEntry` per line, appended by the scorer only
    solutions/NNNN.py   the exact source each entry scored
    details/NNNN.json   each entry's full evaluation result (timing samples, isolation): never shown to the agent
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from assay.errors import UserError
from assay.evaluate import EvalConfig

STATE_VERSION = 1
ENV_FILE = "env.json"
LOG_FILE = "score_log.jsonl"
TASK_DIR = "task"

# Verdicts of the evaluator, and two of the scorer's own: "refused" (the solution could not be taken from the
# workspace as it stands: missing, a link, not a regular file, too large) and "error" (the scorer failed).
EntryVerdict = Literal["verified", "incorrect", "flagged", "crashed", "timeout", "limit", "refused", "error"]


class ScorerSettings(BaseModel):
    """The evaluation settings the scorer uses: the evaluator's defaults unless the environment says otherwise.

    `isolation` defaults to L2 (Landlock at least): below it, a solution running as the scorer's user could read
    the scorer's own files, the reference solution among them.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    profile: Literal["default", "quick"] = "default"
    timeout_s: float = 300.0
    min_rounds: int = 50
    max_rounds: int = 200
    timing_budget_s: float = 2.0
    warmup_s: float = 0.1
    call_timeout_s: float = 10.0
    isolation: Literal["L1", "L2", "L3"] | None = "L2"
    device: str = "cpu"
    # Evaluations per baseline, alternating start and reference. Each worker process has a speed of its own (4%
    # sd between A/A evaluations of a memory-bound task here, docs/evaluator.md), and every score is scaled by
    # y_r - y_s: one evaluation each would put that spread into every normalized score.
    baseline_runs: int = Field(default=3, ge=1, le=20)

    @classmethod
    def quick(cls, isolation: Literal["L1", "L2", "L3"] | None = "L2", device: str = "cpu") -> ScorerSettings:
        """Few timing rounds (the test suite's QUICK): to try an environment out, not for scores to report."""
        return cls(
            profile="quick",
            timeout_s=120,
            min_rounds=6,
            timing_budget_s=0.3,
            warmup_s=0.05,
            call_timeout_s=5,
            isolation=isolation,
            device=device,
            baseline_runs=1,
        )

    def eval_config(self) -> EvalConfig:
        fields = self.model_dump(exclude={"profile", "baseline_runs"})
        return EvalConfig(**fields)


class Baselines(BaseModel):
    """y_s and y_r of docs/design.md section 6: the log speedups of the starting and the reference solution."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    start: float
    reference: float
    start_speedup_ci: list[float]  # the span of the baseline evaluations' intervals
    reference_speedup_ci: list[float]
    measured_at: str
    start_runs: list[float] = Field(default_factory=list)  # each evaluation's speedup (y_s is their mean log)
    reference_runs: list[float] = Field(default_factory=list)


class EnvFile(BaseModel):
    """`env.json`. Times are seconds since the epoch; `started_at` is set when the scorer first takes requests."""

    model_config = ConfigDict(extra="forbid")
    version: int = STATE_VERSION
    task: str
    workspace: str
    socket: str
    created_at: float
    started_at: float | None = None
    time_budget_s: float | None = None
    settings: ScorerSettings = Field(default_factory=ScorerSettings)
    baselines: Baselines | None = None
    workspace_files: dict[str, str] = Field(default_factory=dict)  # name -> sha256 of what init wrote
    agent_uid: int | None = None  # when init handed the workspace to another user


class LogEntry(BaseModel):
    """One line of the score log. Only a `verified` entry within the time budget has a score."""

    model_config = ConfigDict(extra="forbid")
    version: int = STATE_VERSION
    index: int
    time: str  # ISO 8601, UTC
    elapsed_s: float
    verdict: EntryVerdict
    raw_score: float | None = None  # log of the verified speedup over the task's Model
    normalized_score: float | None = None  # (y - y_s) / (y_r - y_s)
    speedup: float | None = None
    speedup_ci: list[float] | None = None
    flags: list[str] = Field(default_factory=list)
    message: str = ""
    late: bool = False  # scored after the time budget: recorded, never counted
    tampering: list[str] = Field(default_factory=list)  # what the scorer saw changed or refused in the workspace
    solution_sha256: str | None = None
    peer_uid: int | None = None
    isolation: str = ""

    @property
    def counts(self) -> bool:
        return self.verdict == "verified" and not self.late and self.normalized_score is not None


def utc_now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def write_atomic(path: Path, content: str | bytes) -> None:
    """Replace `path` whole, private to its owner: a reader sees the old file or the new one, never half of one."""
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(content.encode() if isinstance(content, str) else content)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def read_env(state: Path) -> EnvFile:
    """The environment in `state`.

    Raises:
        UserError: `state` is not an environment's state directory, or it cannot be read.
    """
    path = state / ENV_FILE
    try:
        return EnvFile.model_validate_json(path.read_text())
    except FileNotFoundError:
        raise UserError(f"{state} is not an environment's state directory (no {ENV_FILE})") from None
    except PermissionError:
        raise UserError(f"cannot read {path}: permission denied (run this as the scorer's user)") from None
    except ValidationError as exc:
        raise UserError(f"{path} is not a valid environment file: {exc.errors()[0]['msg']}") from None


def write_env(state: Path, env: EnvFile) -> None:
    write_atomic(state / ENV_FILE, env.model_dump_json(indent=2) + "\n")


def append_entry(state: Path, entry: LogEntry) -> None:
    """Append one entry and make it durable before the agent hears of it."""
    fd = os.open(state / LOG_FILE, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW, 0o600)
    try:
        os.write(fd, (entry.model_dump_json() + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)


def read_log(state: Path, problems: list[str] | None = None) -> list[LogEntry]:
    """Every valid entry of the log. A line that is not one (cut short by a crash while writing, or written by
    someone else) is skipped and, with `problems`, reported there, as is an entry out of sequence.

    Raises:
        UserError: the log exists but cannot be read.
    """
    path = state / LOG_FILE
    try:
        lines = path.read_text().splitlines()
    except FileNotFoundError:
        return []
    except PermissionError:
        raise UserError(f"cannot read {path}: permission denied (run this as the scorer's user)") from None
    entries: list[LogEntry] = []
    notes = problems if problems is not None else []
    for number, line in enumerate(lines, 1):
        try:
            entry = LogEntry.model_validate(json.loads(line))
        except (ValueError, ValidationError):
            notes.append(f"line {number} of {LOG_FILE} is not an entry")
            continue
        if entry.index != len(entries) + 1:
            notes.append(f"line {number} of {LOG_FILE} is entry {entry.index}, expected {len(entries) + 1}")
        entries.append(entry)
    return entries
