"""Which models to ask: `PROVIDER:MODEL[@BASE_URL][=WEIGHT]`, e.g. `openai:gpt-4.1-mini=0.7`,
`anthropic:claude-sonnet-4-5=0.3`, or `openai:qwen2.5-coder@http://localhost:8000/v1` for a vLLM or Ollama server."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from assay.errors import ConfigError

Provider = Literal["openai", "anthropic"]
PROVIDERS: tuple[Provider, ...] = ("openai", "anthropic")
KEY_ENV: dict[Provider, str] = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY"}
BASE_URL_ENV: dict[Provider, str] = {"openai": "OPENAI_BASE_URL", "anthropic": "ANTHROPIC_BASE_URL"}


@dataclass(frozen=True)
class ModelSpec:
    provider: Provider
    model: str
    base_url: str | None = None
    weight: float = 1.0

    @property
    def label(self) -> str:
        return f"{self.provider}:{self.model}"


def parse_model(text: str) -> ModelSpec:
    """Raises:
    ConfigError: the text is not PROVIDER:MODEL[@BASE_URL][=WEIGHT] with a known provider and a positive weight.
    """
    form = "PROVIDER:MODEL[@BASE_URL][=WEIGHT]"
    provider, sep, rest = text.partition(":")
    if not sep or provider not in PROVIDERS:
        raise ConfigError(f"--model takes {form} with PROVIDER one of {', '.join(PROVIDERS)}; got {text!r}")
    weight = 1.0
    head, eq, tail = rest.rpartition("=")
    if eq:
        try:
            weight = float(tail)
        except ValueError:
            head = rest  # an '=' inside the URL's query, not a weight
        else:
            if not math.isfinite(weight) or weight <= 0:
                raise ConfigError(f"--model {text!r}: the weight must be a positive number")
    else:
        head = rest
    model, at, base_url = head.partition("@")
    if not model:
        raise ConfigError(f"--model takes {form}; {text!r} names no model")
    if at and not base_url.startswith(("http://", "https://")):
        raise ConfigError(f"--model {text!r}: the base URL must start with http:// or https://")
    return ModelSpec(provider, model, base_url or None, weight)
