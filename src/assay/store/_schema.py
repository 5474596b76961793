"""The run file's schema. One SQLite file per run; `meta.version` names the schema a file was written with.

Every event is one transaction (WAL journal, so a reader such as `assay show` never blocks the run, and a
process killed with SIGKILL loses nothing that was committed). `synchronous=NORMAL` is enough for that: a
killed process's committed pages are already in the kernel; only a power loss could drop the last ones.
"""

from __future__ import annotations

import sqlite3

from assay.errors import UserError

STORE_VERSION = 1

_TABLES = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE runs (
    id TEXT PRIMARY KEY,
    created REAL NOT NULL,              -- unix time
    updated REAL NOT NULL,
    task_name TEXT NOT NULL,
    task_path TEXT NOT NULL,
    task_sha256 TEXT NOT NULL,          -- of the task file: a resume refuses a task that changed
    seed INTEGER NOT NULL,
    config TEXT NOT NULL,               -- the search configuration as JSON (it has its own version)
    status TEXT NOT NULL,               -- running | finished | failed
    stop_reason TEXT NOT NULL DEFAULT '',
    elapsed_s REAL NOT NULL DEFAULT 0,  -- active time summed over the run's sessions
    sessions INTEGER NOT NULL DEFAULT 1,
    pid INTEGER NOT NULL,               -- of the session that last ran it
    host TEXT NOT NULL
);
CREATE TABLE candidates (
    id INTEGER PRIMARY KEY,
    step INTEGER NOT NULL,              -- a step is one child and its repairs; attempt 0 is the first try
    attempt INTEGER NOT NULL,
    stage TEXT NOT NULL,                -- translate | evolve | crossover | repair
    island INTEGER NOT NULL,
    parent_ids TEXT NOT NULL,           -- JSON list of candidate ids
    inspiration_ids TEXT NOT NULL,      -- JSON list of candidate ids
    proposer TEXT NOT NULL,
    model TEXT NOT NULL,
    description TEXT NOT NULL,
    source TEXT,                        -- NULL when the reply held no program
    source_sha256 TEXT,
    normalized_sha256 TEXT,             -- of the source without comments, docstrings, formatting, local names
    features TEXT NOT NULL,             -- JSON object: the MAP-Elites coordinates
    status TEXT NOT NULL,               -- proposed | rejected | evaluating | evaluated
    reject_reason TEXT NOT NULL DEFAULT '',
    created REAL NOT NULL,
    UNIQUE (step, attempt)
);
CREATE TABLE llm_calls (
    id INTEGER PRIMARY KEY,
    candidate_id INTEGER NOT NULL REFERENCES candidates(id),
    proposer TEXT NOT NULL,
    model TEXT NOT NULL,
    prompt TEXT NOT NULL,               -- verbatim: the messages sent, as JSON
    reply TEXT NOT NULL,                -- verbatim
    error TEXT NOT NULL,
    input_tokens INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    cost_usd REAL NOT NULL,
    created REAL NOT NULL
);
CREATE TABLE evaluations (
    id INTEGER PRIMARY KEY,
    candidate_id INTEGER NOT NULL REFERENCES candidates(id),
    kind TEXT NOT NULL,                 -- search | confirm (a fresh evaluation of the best at the end)
    verdict TEXT NOT NULL,
    speedup REAL,
    ci_low REAL,
    ci_high REAL,
    fitness REAL,                       -- the interval's low end when verified, else NULL
    result TEXT NOT NULL,               -- the whole EvalResult as JSON
    created REAL NOT NULL,
    UNIQUE (candidate_id, kind)
);
CREATE TABLE score_log (
    id INTEGER PRIMARY KEY,
    time REAL NOT NULL,                 -- unix time
    elapsed_s REAL NOT NULL,            -- the run's active time
    evaluation_id INTEGER NOT NULL REFERENCES evaluations(id),
    candidate_id INTEGER NOT NULL,
    score REAL,                         -- the evaluation's fitness; NULL when not verified
    best REAL,                          -- the best score so far
    message TEXT NOT NULL
);
"""


def connect(path: str, *, create: bool) -> sqlite3.Connection:
    """Open a run file (autocommit: the store opens one transaction per event).

    Raises:
        UserError: the file is not a run file, or one written by a newer version of assay.
    """
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30.0)
    conn.row_factory = sqlite3.Row
    try:
        if create:
            conn.execute("PRAGMA journal_mode=WAL")
            tables = _TABLES.replace("CREATE TABLE", "CREATE TABLE IF NOT EXISTS")
            version = f"INSERT OR IGNORE INTO meta VALUES ('version', '{STORE_VERSION}');"
            conn.executescript(f"BEGIN IMMEDIATE;\n{tables}\n{version}\nCOMMIT;")
        row = conn.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()
    except sqlite3.DatabaseError:
        conn.close()
        raise UserError(f"{path} is not an assay run file") from None
    if row is None or int(row[0]) > STORE_VERSION:
        conn.close()
        found = "no version" if row is None else f"version {row[0]}"
        raise UserError(f"{path} has {found}; this assay reads run files up to version {STORE_VERSION}")
    conn.execute("PRAGMA journal_mode=WAL")  # a no-op on a run file: WAL is kept in the file
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    return conn
