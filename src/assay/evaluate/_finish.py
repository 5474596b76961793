"""What every result gets before it leaves the evaluator: a loud warning below L2, and text that encodes."""

from __future__ import annotations

import re
from typing import Any

from assay.evaluate._result import EvalResult

# What each level below L2 leaves open (README, "Isolation").
_WEAK_LEVELS = {
    "L1": "seccomp and rlimits only: the candidate can read and write files the user can",
    "L0": "rlimits only: the candidate can read and write files, use the network and signal processes",
}


def isolation_warning(isolation: dict[str, Any]) -> str | None:
    """A warning when the candidate ran below L2 (no Landlock file confinement), else None (and when it never ran)."""
    level = str(isolation.get("level"))
    if level not in _WEAK_LEVELS:
        return None
    return (
        f"isolation {level} ({_WEAK_LEVELS[level]}); do not trust this result with untrusted code: see the README's "
        "Install section for what L2 and L3 need"
    )


_SURROGATES = re.compile("[\ud800-\udfff]")


def _without_surrogates(value: Any) -> Any:
    if isinstance(value, str):
        return _SURROGATES.sub("\ufffd", value)
    if isinstance(value, list):
        return [_without_surrogates(v) for v in value]
    if isinstance(value, dict):
        return {_without_surrogates(k): _without_surrogates(v) for k, v in value.items()}
    return value


def encodable(result: EvalResult) -> EvalResult:
    """`result` with lone surrogates replaced by U+FFFD in every string.

    A candidate's exception text can carry them (the worker's JSON escapes them, the orchestrator's parser
    restores them), and no UTF-8 writer accepts them: `model_dump_json`, a results file and a terminal would
    each raise. Control characters stay: JSON escapes them, and the report sanitises what it prints.
    """
    data = result.model_dump()
    cleaned = _without_surrogates(data)
    return result if cleaned == data else EvalResult.model_validate(cleaned)
