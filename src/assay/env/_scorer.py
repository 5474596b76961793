"""The scorer: it holds the state, takes `solution.py` from the workspace, evaluates it, and keeps the log.

Only `solution.py` is taken from the workspace, read by the scorer itself through a descriptor opened without
following links: a `solution.py` that is a link (to the scorer's own reference solution, say) or that sits
anywhere but where init put it is refused and recorded. The task, the starting and the reference solutions
come from the scorer's own copy. Every other workspace file is compared with what init wrote, and a change is
recorded in the entry; none of them is ever read for scoring.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import os
import stat
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from assay.env._score import normalized_score, raw_score, run_score
from assay.env._state import (
    TASK_DIR,
    Baselines,
    LogEntry,
    append_entry,
    read_env,
    read_log,
    utc_now,
    write_atomic,
    write_env,
)
from assay.env._workspace import SOLUTION
from assay.errors import UserError
from assay.evaluate import EvalResult, Evaluator
from assay.tasks import load_task

MAX_SOLUTION_BYTES = 1 << 20
MAX_MESSAGE = 2000


class Refused(Exception):
    """The workspace file could not be taken as it stands; `tampering` when that looks deliberate."""

    def __init__(self, reason: str, tampering: bool = False) -> None:
        super().__init__(reason)
        self.tampering = tampering


def read_workspace_file(workspace: Path, name: str) -> bytes:
    """The bytes of `workspace/name`, read without following a link and only from where init put it.

    Raises:
        Refused: missing, unreadable, a link, not a regular file, too large, or reached through a moved folder.
    """
    path = workspace / name
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise Refused(f"{name} is missing") from None
    except PermissionError:
        raise Refused(f"the scorer may not read {name} (make it readable: chmod a+r {name})") from None
    except OSError as exc:
        if os.path.islink(path):
            raise Refused(f"{name} is a symbolic link; the scorer reads only a regular file", True) from None
        raise Refused(f"cannot open {name}: {exc.strerror}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise Refused(f"{name} is not a regular file", True)
        real = os.readlink(f"/proc/self/fd/{fd}")
        if real != str(path):
            raise Refused(f"{name} was reached at {real}, not at {path}: the workspace was moved or linked", True)
        if st.st_size > MAX_SOLUTION_BYTES:
            raise Refused(f"{name} is larger than {MAX_SOLUTION_BYTES >> 10} KiB")
        with os.fdopen(os.dup(fd), "rb") as f:
            return f.read(MAX_SOLUTION_BYTES + 1)[:MAX_SOLUTION_BYTES]
    finally:
        os.close(fd)


class Scorer:
    """Scores the workspace's solution on request, one at a time. Not thread-safe: serve calls it serially.

    Without an `evaluator` it makes its own (adopting the zygote the command line started early), in the thread
    that scores: a zygote does not outlive the thread that started it.
    """

    def __init__(self, state: Path, evaluator: Evaluator | None = None) -> None:
        self.state = state.absolute()
        self.env = read_env(self.state)
        self.workspace = Path(self.env.workspace)
        self.task = dataclasses.replace(load_task(self.state / TASK_DIR), name=self.env.task)
        self.config = self.env.settings.eval_config()
        self._evaluator = evaluator
        self._owns_evaluator = evaluator is None
        self.entries = read_log(self.state)
        for sub in ("solutions", "details"):
            (self.state / sub).mkdir(mode=0o700, exist_ok=True)

    @property
    def evaluator(self) -> Evaluator:
        if self._evaluator is None:
            self._evaluator = Evaluator()
        return self._evaluator

    def close(self) -> None:
        if self._owns_evaluator and self._evaluator is not None:
            self._evaluator.close()
            self._evaluator = None

    def _evaluate(self, candidate: Path, name: str) -> EvalResult:
        return self.evaluator.evaluate(self.task, candidate, self.config, name=name)

    def ensure_baselines(self) -> Baselines:
        """Measure y_s and y_r once, under the settings every entry is scored with.

        Each is the mean log speedup of `settings.baseline_runs` evaluations, start and reference alternating, so
        that a slow spell of the machine or one worker process's own speed does not set the scale of every score.

        Raises:
            UserError: the starting or reference solution is not verified, or the reference is not measurably
                faster than the starting solution in every evaluation (normalized scores would be noise).
        """
        if self.env.baselines is not None:
            return self.env.baselines
        runs: dict[str, list[EvalResult]] = {"start": [], "reference": []}
        for i in range(self.env.settings.baseline_runs):
            for which in ("start", "reference"):
                result = self._evaluate(self.state / TASK_DIR / f"{which}.py", f"{which}.py")
                suffix = "" if i == 0 else f"-{i + 1}"
                write_atomic(self.state / "details" / f"baseline-{which}{suffix}.json", result.model_dump_json())
                if not result.ok or result.speedup is None or result.speedup_ci is None:
                    raise UserError(f"the {which} solution is {result.verdict}, not verified: {result.message}")
                runs[which].append(result)
        start, reference = _span(runs["start"]), _span(runs["reference"])
        if reference[0] <= start[1]:
            raise UserError(
                f"the reference solution ({_readings(runs['reference'])}) is not measurably faster than the starting "
                f"solution ({_readings(runs['start'])}) here: scores would be noise"
            )
        self.env.baselines = Baselines(
            start=_mean_log(runs["start"]),
            reference=_mean_log(runs["reference"]),
            start_speedup_ci=start,
            reference_speedup_ci=reference,
            measured_at=utc_now(),
            start_runs=[r.speedup or 1.0 for r in runs["start"]],
            reference_runs=[r.speedup or 1.0 for r in runs["reference"]],
        )
        write_env(self.state, self.env)
        return self.env.baselines

    def start_clock(self) -> None:
        """The environment's clock starts when its scorer first takes requests; a restart keeps it."""
        if self.env.started_at is None:
            self.env.started_at = time.time()
            write_env(self.state, self.env)

    def elapsed(self) -> float:
        return time.time() - (self.env.started_at or time.time())

    def _workspace_changes(self) -> list[str]:
        notes = []
        for name, digest in self.env.workspace_files.items():
            try:
                changed = hashlib.sha256(read_workspace_file(self.workspace, name)).hexdigest() != digest
            except Refused as refused:
                notes.append(f"workspace: {refused}")
                continue
            if changed:
                use = "the scorer uses its own copy of the task" if name == "task.py" else "it is never scored"
                notes.append(f"workspace: {name} differs from what init wrote ({use})")
        return notes

    def score(self, peer_uid: int | None = None) -> LogEntry:
        """Score the workspace's solution.py now and append the entry to the log. Never raises for the solution's
        sake; a failure of the scorer itself is recorded as an `error` entry."""
        index = len(self.entries) + 1
        elapsed = self.elapsed()
        budget = self.env.time_budget_s
        entry = LogEntry(index=index, time=utc_now(), elapsed_s=round(elapsed, 3), verdict="error", peer_uid=peer_uid)
        entry.late = budget is not None and elapsed > budget
        entry.tampering = self._workspace_changes()
        if self.env.agent_uid is not None and peer_uid not in (None, self.env.agent_uid):
            owner = self.env.agent_uid
            entry.tampering.append(f"requested by uid {peer_uid}, not by the workspace's owner (uid {owner})")
        for _attempt in (1, 2):  # a failure of the scorer's own (its zygote killed, say) gets one more try
            try:
                self._fill(entry, read_workspace_file(self.workspace, SOLUTION))
                break
            except Refused as refused:
                entry.verdict, entry.message = "refused", str(refused)
                if refused.tampering:
                    entry.tampering.append(f"solution refused: {refused}")
                break
            except Exception as exc:
                traceback.print_exc(file=sys.stderr)
                self._reset_evaluator()
                entry.verdict = "error"
                entry.message = f"the scorer failed (not the solution's fault): {exc}"[:MAX_MESSAGE]
        append_entry(self.state, entry)
        self.entries.append(entry)
        return entry

    def _fill(self, entry: LogEntry, data: bytes) -> None:
        entry.solution_sha256 = hashlib.sha256(data).hexdigest()
        copy = self.state / "solutions" / f"{entry.index:04d}.py"
        write_atomic(copy, data)
        result = self._evaluate(copy, SOLUTION)
        write_atomic(self.state / "details" / f"{entry.index:04d}.json", result.model_dump_json())
        entry.verdict = result.verdict  # type: ignore[assignment]  # an evaluator verdict is an entry verdict
        entry.message = result.message[:MAX_MESSAGE]
        entry.flags = [f.id for f in result.flags]
        entry.isolation = str(result.isolation.get("level", ""))
        if result.ok and result.speedup is not None and math.isfinite(result.speedup) and result.speedup > 0:
            baselines = self.ensure_baselines()
            entry.speedup, entry.speedup_ci = result.speedup, result.speedup_ci
            entry.raw_score = raw_score(result.speedup)
            entry.normalized_score = normalized_score(entry.raw_score, baselines)

    def _reset_evaluator(self) -> None:
        """After a failure the zygote may be gone: the next evaluation gets a fresh evaluator. One the scorer was
        given is its caller's, never closed or replaced here."""
        if self._owns_evaluator and self._evaluator is not None:
            try:
                self._evaluator.close()
            except Exception:
                traceback.print_exc(file=sys.stderr)
            self._evaluator = None

    def reply(self, entry: LogEntry | None) -> dict[str, Any]:
        """What the agent is told: the entry (if any), its best score so far, and the clock."""
        reply: dict[str, Any] = {
            "version": 1,
            "ok": True,
            "best": run_score(self.entries),
            "entries": len(self.entries),
            "elapsed_s": round(self.elapsed(), 1),
            "budget_s": self.env.time_budget_s,
        }
        if entry is not None:
            reply["entry"] = entry.model_dump(exclude={"peer_uid"})
        return reply


def _mean_log(results: list[EvalResult]) -> float:
    return sum(raw_score(r.speedup or 1.0) for r in results) / len(results)


def _span(results: list[EvalResult]) -> list[float]:
    """From the lowest low end to the highest high end of the results' intervals."""
    intervals = [r.speedup_ci for r in results if r.speedup_ci is not None]
    return [min(ci[0] for ci in intervals), max(ci[1] for ci in intervals)]


def _readings(results: list[EvalResult]) -> str:
    return ", ".join(f"{r.speedup:.3f}x {r.speedup_ci}" for r in results)
