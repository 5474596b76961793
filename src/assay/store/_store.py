"""`RunStore`: the run's SQLite file. Every event is written as it happens, one transaction each.

Proposal threads and the search's main thread share one connection behind a lock; each write is short, so an
evaluation in progress never waits on it.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from assay.evaluate import EvalResult, Verdict
from assay.store._rows import (
    CallRow,
    CandidateRow,
    EvaluationRow,
    NewCall,
    NewCandidate,
    RunInfo,
    ScoreEntry,
    UsageTotals,
)
from assay.store._schema import connect


class RunStore:
    """One run's file. `create` starts a run; `open` reopens one (to resume it, or to read it)."""

    def __init__(self, path: Path, conn: sqlite3.Connection) -> None:
        self.path = path
        self._conn = conn
        self._lock = threading.Lock()
        self._started = time.monotonic()
        row = conn.execute("SELECT elapsed_s FROM runs").fetchone()
        self._prior_s = float(row[0]) if row else 0.0

    @classmethod
    def create(
        cls, path: Path, run_id: str, task_name: str, task_path: str, task_sha256: str, seed: int, config: str
    ) -> RunStore:
        conn = connect(str(path), create=True)
        now = time.time()
        conn.execute(
            "INSERT INTO runs (id, created, updated, task_name, task_path, task_sha256, seed, config, status, pid,"
            " host) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'running', ?, ?)",
            (run_id, now, now, task_name, task_path, task_sha256, seed, config, os.getpid(), socket.gethostname()),
        )
        return cls(path, conn)

    @classmethod
    def open(cls, path: Path) -> RunStore:
        """Open an existing run file.

        Raises:
            UserError: the file is not a run file, or a newer version's.
        """
        return cls(path, connect(str(path), create=False))

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def _event(self) -> Iterator[sqlite3.Connection]:
        """One transaction; the run's clock is brought up to date in the same one."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
                self._conn.execute("UPDATE runs SET updated = ?, elapsed_s = ?", (time.time(), self.elapsed_s()))
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def elapsed_s(self) -> float:
        """Active time of the run: earlier sessions plus this one."""
        return self._prior_s + time.monotonic() - self._started

    # -- writes ------------------------------------------------------------------------------------------

    def begin_session(self, config: str | None = None) -> None:
        """A resumed run: a new session, this process's pid, and the (possibly amended) configuration."""
        with self._event() as c:
            c.execute(
                "UPDATE runs SET status = 'running', stop_reason = '', sessions = sessions + 1, pid = ?, host = ?",
                (os.getpid(), socket.gethostname()),
            )
            if config is not None:
                c.execute("UPDATE runs SET config = ?", (config,))

    def add_candidate(self, new: NewCandidate, call: NewCall | None = None, reject_reason: str = "") -> int:
        """Record a proposal (and the LLM call that made it) in one transaction; returns the candidate's id.
        A proposal without a program is recorded as rejected, with the reason."""
        status = "proposed" if new.source is not None else "rejected"
        with self._event() as c:
            cursor = c.execute(
                "INSERT INTO candidates (step, attempt, stage, island, parent_ids, inspiration_ids, proposer, model,"
                " description, source, source_sha256, normalized_sha256, features, status, reject_reason, created)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    new.step,
                    new.attempt,
                    new.stage,
                    new.island,
                    json.dumps(list(new.parent_ids)),
                    json.dumps(list(new.inspiration_ids)),
                    new.proposer,
                    new.model,
                    new.description,
                    new.source,
                    new.source_sha256,
                    new.normalized_sha256,
                    json.dumps(new.features),
                    status,
                    reject_reason,
                    time.time(),
                ),
            )
            candidate_id = int(cursor.lastrowid or 0)
            if call is not None:
                c.execute(
                    "INSERT INTO llm_calls (candidate_id, proposer, model, prompt, reply, error, input_tokens,"
                    " output_tokens, cost_usd, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        candidate_id,
                        call.proposer,
                        call.model,
                        call.prompt,
                        call.reply,
                        call.error,
                        call.input_tokens,
                        call.output_tokens,
                        call.cost_usd,
                        time.time(),
                    ),
                )
        return candidate_id

    def describe(self, candidate_id: int, normalized_sha256: str, features: dict[str, Any]) -> None:
        """What the search learned from the candidate's syntax tree: its normalized hash and its features."""
        with self._event() as c:
            c.execute(
                "UPDATE candidates SET normalized_sha256 = ?, features = ? WHERE id = ?",
                (normalized_sha256, json.dumps(features), candidate_id),
            )

    def set_status(self, candidate_id: int, status: str, reason: str = "") -> None:
        with self._event() as c:
            c.execute(
                "UPDATE candidates SET status = ?, reject_reason = ? WHERE id = ?", (status, reason, candidate_id)
            )

    def add_evaluation(self, candidate_id: int, kind: str, result: EvalResult, message: str = "") -> EvaluationRow:
        """Record an evaluation and its score-log entry. Fitness is the interval's low end, and only when verified.

        Written once per (candidate, kind): a second result for the same pair (an evaluation retried after its
        node was lost, a session that evaluated it again) leaves the first in place and returns it, with no
        second score-log entry.
        """
        verified = result.verdict == Verdict.VERIFIED and result.speedup_ci is not None
        low, high = (result.speedup_ci[0], result.speedup_ci[1]) if result.speedup_ci else (None, None)
        fitness = low if verified else None
        with self._event() as c:
            cursor = c.execute(
                "INSERT INTO evaluations (candidate_id, kind, verdict, speedup, ci_low, ci_high, fitness, result,"
                " created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (candidate_id, kind) DO NOTHING",
                (
                    candidate_id,
                    kind,
                    str(result.verdict),
                    result.speedup,
                    low,
                    high,
                    fitness,
                    result.model_dump_json(),
                    time.time(),
                ),
            )
            if cursor.rowcount == 0:  # already recorded
                row = c.execute(
                    "SELECT * FROM evaluations WHERE candidate_id = ? AND kind = ?", (candidate_id, kind)
                ).fetchone()
                return _evaluation(row)
            evaluation_id = int(cursor.lastrowid or 0)
            if kind == "search":
                c.execute("UPDATE candidates SET status = 'evaluated' WHERE id = ?", (candidate_id,))
            best = c.execute("SELECT MAX(fitness) FROM evaluations WHERE kind = 'search'").fetchone()[0]
            c.execute(
                "INSERT INTO score_log (time, elapsed_s, evaluation_id, candidate_id, score, best, message)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (time.time(), self.elapsed_s(), evaluation_id, candidate_id, fitness, best, message),
            )
            row = c.execute("SELECT * FROM evaluations WHERE id = ?", (evaluation_id,)).fetchone()
        return _evaluation(row)

    def finish(self, status: str, reason: str) -> None:
        with self._event() as c:
            c.execute("UPDATE runs SET status = ?, stop_reason = ?", (status, reason))

    # -- reads -------------------------------------------------------------------------------------------

    def _all(self, sql: str, args: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._conn.execute(sql, args).fetchall()

    def run(self) -> RunInfo:
        row = self._all("SELECT * FROM runs")[0]
        return RunInfo(path=self.path, **dict(row))

    def candidates(self) -> list[CandidateRow]:
        return [_candidate(r) for r in self._all("SELECT * FROM candidates ORDER BY id")]

    def candidate_at(self, step: int, attempt: int) -> CandidateRow | None:
        rows = self._all("SELECT * FROM candidates WHERE step = ? AND attempt = ?", (step, attempt))
        return _candidate(rows[0]) if rows else None

    def evaluations(self, kind: str | None = None) -> list[EvaluationRow]:
        if kind is None:
            return [_evaluation(r) for r in self._all("SELECT * FROM evaluations ORDER BY id")]
        return [_evaluation(r) for r in self._all("SELECT * FROM evaluations WHERE kind = ? ORDER BY id", (kind,))]

    def evaluation(self, candidate_id: int, kind: str = "search") -> EvaluationRow | None:
        rows = self._all("SELECT * FROM evaluations WHERE candidate_id = ? AND kind = ?", (candidate_id, kind))
        return _evaluation(rows[0]) if rows else None

    def calls(self) -> list[CallRow]:
        return [CallRow(**dict(r)) for r in self._all("SELECT * FROM llm_calls ORDER BY id")]

    def score_log(self) -> list[ScoreEntry]:
        return [ScoreEntry(**dict(r)) for r in self._all("SELECT * FROM score_log ORDER BY id")]

    def usage(self) -> UsageTotals:
        row = self._all(
            "SELECT COUNT(*), COALESCE(SUM(input_tokens), 0), COALESCE(SUM(output_tokens), 0),"
            " COALESCE(SUM(cost_usd), 0) FROM llm_calls"
        )[0]
        return UsageTotals(calls=row[0], input_tokens=row[1], output_tokens=row[2], cost_usd=row[3])


def _candidate(row: sqlite3.Row) -> CandidateRow:
    values = dict(row)
    values["parent_ids"] = tuple(json.loads(values["parent_ids"]))
    values["inspiration_ids"] = tuple(json.loads(values["inspiration_ids"]))
    values["features"] = json.loads(values["features"])
    return CandidateRow(**values)


def _evaluation(row: sqlite3.Row) -> EvaluationRow:
    values = dict(row)
    values["result_json"] = values.pop("result")
    return EvaluationRow(**values)
