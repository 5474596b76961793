"""Proposers by name: `--proposer NAME` picks one. Others can register their own.

A factory is a callable, or the "module:attribute" path of one, imported on first use: the search names the
LLM proposers (which build on it, in `assay.llm`) without depending on them, as a plug-in would be named.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from assay.errors import ConfigError
from assay.search._config import SearchConfig
from assay.search._proposer import Proposer

ProposerFactory = Callable[[SearchConfig], Proposer]

_FACTORIES: dict[str, ProposerFactory | str] = {}


def register_proposer(name: str, factory: ProposerFactory | str) -> None:
    _FACTORIES[name] = factory


def proposer_names() -> list[str]:
    return sorted(_FACTORIES)


def make_proposer(config: SearchConfig) -> Proposer:
    """The proposer the configuration names.

    Raises:
        ConfigError: no proposer has that name, or it cannot start (for an LLM: a missing key, a bad model spec).
    """
    factory = _FACTORIES.get(config.proposer)
    if factory is None:
        raise ConfigError(f"unknown proposer {config.proposer!r}; known: {', '.join(proposer_names())}")
    if isinstance(factory, str):
        module, _, attribute = factory.partition(":")
        target: object = importlib.import_module(module)
        for part in attribute.split("."):
            target = getattr(target, part)
        assert callable(target), factory
        made: Proposer = target(config)
        return made
    return factory(config)


def _offline(config: SearchConfig) -> Proposer:
    from assay.search._offline import OfflineProposer

    return OfflineProposer()


register_proposer("offline", _offline)
register_proposer("llm", "assay.llm:LLMProposer.from_config")
