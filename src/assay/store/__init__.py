"""The run store: one SQLite file per optimizer run, written as events happen so that nothing is lost."""

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
from assay.store._runs import DEFAULT_RUNS_DIR, RUN_FILE, RunLock, find_run, new_run_dir, run_files
from assay.store._schema import STORE_VERSION
from assay.store._store import RunStore

__all__ = [
    "DEFAULT_RUNS_DIR",
    "RUN_FILE",
    "STORE_VERSION",
    "CallRow",
    "CandidateRow",
    "EvaluationRow",
    "NewCall",
    "NewCandidate",
    "RunInfo",
    "RunLock",
    "RunStore",
    "ScoreEntry",
    "UsageTotals",
    "find_run",
    "new_run_dir",
    "run_files",
]
