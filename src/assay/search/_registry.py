"""Proposers by name: `--proposer NAME` picks one. Others can register their own."""

from __future__ import annotations

from collections.abc import Callable

from assay.errors import ConfigError
from assay.search._config import SearchConfig
from assay.search._proposer import Proposer

ProposerFactory = Callable[[SearchConfig], Proposer]

_FACTORIES: dict[str, ProposerFactory] = {}


def register_proposer(name: str, factory: ProposerFactory) -> None:
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
    return factory(config)


def _offline(config: SearchConfig) -> Proposer:
    try:
        from assay.search._offline import OfflineProposer  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        raise ConfigError("the offline proposer is not part of this installation; use --proposer llm") from None
    proposer: Proposer = OfflineProposer()
    return proposer


def _llm(config: SearchConfig) -> Proposer:
    from assay.llm import LLMProposer

    return LLMProposer.from_config(config)


register_proposer("offline", _offline)
register_proposer("llm", _llm)
