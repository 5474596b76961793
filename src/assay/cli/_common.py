"""Shared CLI plumbing: option parsing helpers and the rule that a user mistake never shows a traceback."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from assay.errors import AssayError, ConfigError

F = TypeVar("F", bound=Callable[..., Any])


def one_line_errors(func: F) -> F:
    """Turn assay's own errors into one sentence on stderr and exit code 2."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except AssayError as exc:
            click.echo(f"assay: {exc}", err=True)
            sys.exit(2)
        except KeyboardInterrupt:
            click.echo("assay: interrupted", err=True)
            sys.exit(130)

    return wrapper  # type: ignore[return-value]


def parse_sizes(values: tuple[str, ...]) -> dict[str, int]:
    """`--size batch_size=64` pairs into a dict.

    Raises:
        ConfigError: a pair is not NAME=POSITIVE_INT.
    """
    sizes: dict[str, int] = {}
    for item in values:
        name, _, value = item.partition("=")
        if not name.isidentifier() or not value.isdigit() or int(value) < 1:
            raise ConfigError(f"--size takes NAME=POSITIVE_INTEGER, got {item!r}")
        sizes[name] = int(value)
    return sizes
