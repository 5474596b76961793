"""The red-team runner: every known reward hack (and honest controls) through the real evaluator.

A corpus folder holds `attacks/*.py`, `controls/*.py` (candidates with a header saying what assay must answer),
`tasks/<name>/` (their targets) and `naive_harness.py` (a deliberately naive harness that shows each
in-process attack is real). `run_corpus` evaluates each file in the real sandbox and checks around it that
nothing escaped: files, processes, network, secrets.
"""

from assay.redteam._effects import CANARY, SECRET_VAR, ensure_secret
from assay.redteam._header import (
    CATALOG_IDS,
    NOT_COVERED,
    SANDBOX_IDS,
    CorpusEntry,
    HeaderError,
    load_corpus,
    parse_entry,
    uncovered,
)
from assay.redteam._naive import naive_eligible, run_naive
from assay.redteam._row import REPORT_VERSION, RedteamReport, RedteamRow
from assay.redteam._run import RedteamConfig, expectation_met, fast_eval_config, judge, run_corpus, select

__all__ = [
    "CANARY",
    "CATALOG_IDS",
    "NOT_COVERED",
    "REPORT_VERSION",
    "SANDBOX_IDS",
    "SECRET_VAR",
    "CorpusEntry",
    "HeaderError",
    "RedteamConfig",
    "RedteamReport",
    "RedteamRow",
    "ensure_secret",
    "expectation_met",
    "fast_eval_config",
    "judge",
    "load_corpus",
    "naive_eligible",
    "parse_entry",
    "run_corpus",
    "run_naive",
    "select",
    "uncovered",
]
