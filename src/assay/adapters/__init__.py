"""Thin adapters to frameworks that train or search with a reward: OpenEvolve and Inspect AI.

Exports resolve on first use: `assay_scorer` needs the `inspect-ai` package, and nothing else here does.
"""

from __future__ import annotations

import importlib
import typing

if typing.TYPE_CHECKING:
    from assay.adapters._inspect import assay_scorer
    from assay.adapters._openevolve import OpenEvolveEvaluator, metrics
    from assay.adapters._shared import SerialEvaluator, extract_code

_EXPORTS = {
    "OpenEvolveEvaluator": "_openevolve",
    "SerialEvaluator": "_shared",
    "assay_scorer": "_inspect",
    "extract_code": "_shared",
    "metrics": "_openevolve",
}

__all__ = ["OpenEvolveEvaluator", "SerialEvaluator", "assay_scorer", "extract_code", "metrics"]


def __getattr__(name: str) -> typing.Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'assay.adapters' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"assay.adapters.{module}"), name)
    globals()[name] = value
    return value
