"""Every public subpackage exports exactly its public names, each defined inside assay (httpx's test)."""

from __future__ import annotations

import importlib
import inspect
import types

import pytest

import assay

SUBPACKAGES = [
    "adapters",
    "candidates",
    "cli",
    "env",
    "errors",
    "evaluate",
    "llm",
    "machine",
    "redteam",
    "report",
    "sandbox",
    "search",
    "store",
    "tasks",
    "timing",
    "verify",
    "vet",
    "worker",
]


@pytest.mark.parametrize("name", SUBPACKAGES)
def test_all_lists_the_public_names(name: str) -> None:
    module = importlib.import_module(f"assay.{name}")
    for member in module.__all__:  # a package with lazy exports binds each name on first use
        getattr(module, member)
    public = sorted(
        member
        for member, value in vars(module).items()
        if not member.startswith("_") and member != "annotations" and not isinstance(value, types.ModuleType)
    )
    assert sorted(module.__all__) == public, f"assay.{name}.__all__ differs from its public names"
    for member in module.__all__:
        value = getattr(module, member)
        if inspect.isclass(value) or inspect.isfunction(value):
            assert value.__module__.startswith("assay."), f"assay.{name}.{member} comes from {value.__module__}"


def test_top_level_exports_resolve() -> None:
    for member in set(assay.__all__) - {"evaluate"}:
        assert getattr(assay, member) is getattr(importlib.import_module(assay._EXPORTS[member]), member)
    # `assay.evaluate` is the subpackage, callable as its `evaluate` function (see assay/evaluate/__init__.py).
    assert assay.evaluate is importlib.import_module("assay.evaluate") and callable(assay.evaluate)
    with pytest.raises(AttributeError):
        _ = assay.not_a_member  # type: ignore[attr-defined]
