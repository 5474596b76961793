"""What tokens cost: USD per million input and output tokens. The defaults are list prices of common models as
published in 2025 (they change: set your own with `--price MODEL=IN,OUT`); a model is matched by the longest
entry its name starts with, so dated names (`claude-sonnet-4-5-20250929`) find their family."""

from __future__ import annotations

from collections.abc import Mapping

from assay.errors import ConfigError

DEFAULT_PRICES: dict[str, tuple[float, float]] = {
    "gpt-5": (1.25, 10.0),
    "gpt-5-mini": (0.25, 2.0),
    "gpt-5-nano": (0.05, 0.4),
    "gpt-4.1": (2.0, 8.0),
    "gpt-4.1-mini": (0.4, 1.6),
    "gpt-4.1-nano": (0.1, 0.4),
    "gpt-4o": (2.5, 10.0),
    "gpt-4o-mini": (0.15, 0.6),
    "o3": (2.0, 8.0),
    "o3-mini": (1.1, 4.4),
    "o4-mini": (1.1, 4.4),
    "claude-opus-4-5": (5.0, 25.0),
    "claude-opus-4": (15.0, 75.0),
    "claude-sonnet-4": (3.0, 15.0),
    "claude-haiku-4-5": (1.0, 5.0),
    "claude-3-5-haiku": (0.8, 4.0),
    "deepseek-chat": (0.27, 1.1),
    "deepseek-reasoner": (0.55, 2.19),
}


class PriceTable:
    def __init__(self, overrides: Mapping[str, tuple[float, float]] | None = None) -> None:
        self._prices = {**DEFAULT_PRICES, **(overrides or {})}

    def price(self, model: str) -> tuple[float, float] | None:
        if model in self._prices:
            return self._prices[model]
        name = model.rpartition("/")[2]  # "vendor/model" names of routers
        matches = [key for key in self._prices if name == key or name.startswith(key + "-")]
        return self._prices[max(matches, key=len)] if matches else None

    def cost(self, model: str, input_tokens: int, output_tokens: int) -> float:
        price = self.price(model)
        if price is None:
            return 0.0
        return (input_tokens * price[0] + output_tokens * price[1]) / 1e6


def parse_price(text: str) -> tuple[str, tuple[float, float]]:
    """`MODEL=IN,OUT` (USD per million tokens).

    Raises:
        ConfigError: not in that form, or a negative price.
    """
    model, _, value = text.rpartition("=")
    parts = value.split(",")
    try:
        pair = (float(parts[0]), float(parts[1])) if len(parts) == 2 else None
    except ValueError:
        pair = None
    if not model or pair is None or min(pair) < 0:
        raise ConfigError(f"--price takes MODEL=IN,OUT in USD per million tokens (e.g. gpt-4.1=2,8); got {text!r}")
    return model, pair
