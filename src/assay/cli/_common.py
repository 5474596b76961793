"""Shared CLI plumbing: options, and the rule that no failure shows a traceback or a half-printed report.

Exit status everywhere: 0 success, 1 a verdict or a check that is not a pass, 2 when the command could not do
its job (a user mistake, an infrastructure error, or anything unexpected), 130 when interrupted.
"""

from __future__ import annotations

import functools
import os
import sys
import traceback
from collections.abc import Callable
from typing import Any, TypeVar

import click

from assay.errors import AssayError, ConfigError, UserError
from assay.report import safe_text

F = TypeVar("F", bound=Callable[..., Any])

DEBUG_VAR = "ASSAY_DEBUG"


def error_object(exc: BaseException, task: str = "", candidate: str = "") -> str:
    """The one JSON object `--json` prints when nothing could be evaluated (`EvalError`, `verdict` null)."""
    from assay.evaluate import EvalError

    error = EvalError(error=type(exc).__name__, message=_sentence(exc), task=task, candidate=candidate)
    return error.model_dump_json()


def _sentence(exc: BaseException) -> str:
    text = safe_text(exc, markup=False, one_line=True).strip() or type(exc).__name__
    if isinstance(exc, AssayError):
        return text
    return f"internal error: {type(exc).__name__}: {text}"


def fail(exc: BaseException, as_json: bool, task: str = "", candidate: str = "") -> None:
    """Report `exc` as one line on stderr (and one JSON object on stdout with `as_json`), then exit 2."""
    if as_json:
        click.echo(error_object(exc, safe_text(task, markup=False), safe_text(candidate, markup=False)))
    hint = "" if isinstance(exc, UserError) or os.environ.get(DEBUG_VAR) else f" (set {DEBUG_VAR}=1 for the traceback)"
    if os.environ.get(DEBUG_VAR):
        traceback.print_exception(exc, file=sys.stderr)
    click.echo(f"assay: {_sentence(exc)}{hint}", err=True)
    sys.exit(2)


def one_line_errors(func: F) -> F:
    """Turn every failure of a command into one sentence on stderr and exit status 2.

    assay's own errors read as they are; anything else is an infrastructure error ("internal error: ..."),
    never exit 1 (which means a verdict) and never a raw traceback unless ASSAY_DEBUG is set. With `--json`
    (or `--format json`) stdout still gets exactly one JSON object: the error object.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        as_json = bool(kwargs.get("as_json")) or kwargs.get("fmt") == "json"
        try:
            return func(*args, **kwargs)
        except (click.exceptions.ClickException, click.exceptions.Abort, click.exceptions.Exit):
            raise
        except KeyboardInterrupt:
            click.echo("assay: interrupted", err=True)
            sys.exit(130)
        except Exception as exc:
            fail(exc, as_json, _text(kwargs.get("task")), _text(kwargs.get("candidate")))

    return wrapper  # type: ignore[return-value]


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


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
