"""RE-Bench-style environments: a workspace for an outside agent, a scorer it cannot change, a score log.

`init_environment` makes the workspace (starting solution, instructions, the public task, a `score` entry
point) and a state directory outside it (the scorer's copy of the task, the reference solution, baselines,
the log). `serve` runs the scorer on a unix socket; `Scorer` is what it runs. Scores are normalized as in
docs/design.md section 6; `summarize` computes best-of-k over runs exactly, over combinations.
"""

from assay.env._plots import plot_run, plot_summary
from assay.env._report import Run, RunReport, Summary, TaskFigures, find_runs, load_run, report, summarize
from assay.env._score import best_of_each_k, best_of_k, normalized_score, raw_score, run_score
from assay.env._scorer import Scorer
from assay.env._serve import serve
from assay.env._state import Baselines, EnvFile, LogEntry, ScorerSettings, read_env, read_log
from assay.env._users import Account, resolve
from assay.env._workspace import Layout, default_layout, init_environment

__all__ = [
    "Account",
    "Baselines",
    "EnvFile",
    "Layout",
    "LogEntry",
    "Run",
    "RunReport",
    "Scorer",
    "ScorerSettings",
    "Summary",
    "TaskFigures",
    "best_of_each_k",
    "best_of_k",
    "default_layout",
    "find_runs",
    "init_environment",
    "load_run",
    "normalized_score",
    "plot_run",
    "plot_summary",
    "raw_score",
    "read_env",
    "read_log",
    "report",
    "resolve",
    "run_score",
    "serve",
    "summarize",
]
