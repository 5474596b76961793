"""Chat backends over the official clients: `openai` (any OpenAI-compatible chat-completions endpoint: vLLM,
Ollama, most hosted providers) and `anthropic` (the Messages API). Both are imported only when a model of theirs
is used, so that the default install runs with no key and no network.

The clients' own retries are off: retries here honour a 429's retry-after (up to `max_wait_s`), back off on
timeouts, 5xx and lost connections, and give up after `max_retries`; a call that still fails costs its step one
attempt. A refused key or an unknown model raises instead: no further attempt could succeed.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Protocol

from assay.errors import ConfigError
from assay.llm._spec import ModelSpec

_FATAL = {401: "the API key was refused", 403: "access was denied", 404: "the model or endpoint was not found"}


@dataclass(frozen=True)
class Completion:
    text: str
    input_tokens: int
    output_tokens: int
    estimated: bool = False  # the server reported no usage: about 4 characters per token
    retries: int = 0
    stop_reason: str = ""


class CallFailed(Exception):
    """The call gave no reply after its retries (the message says why); it costs one attempt."""


class Backend(Protocol):
    spec: ModelSpec

    def complete(self, system: str, user: str, *, seed: int, key: str) -> Completion: ...


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 4
    max_wait_s: float = 120.0
    sleep: Callable[[float], None] = time.sleep


def with_retries(spec: ModelSpec, policy: RetryPolicy, call: Callable[[], Completion]) -> Completion:
    """Raises:
    CallFailed: no reply after the retries (or a retry-after longer than `max_wait_s`, or a 4xx).
    ConfigError: the key was refused, access denied, or the model or endpoint does not exist.
    """
    errors: list[str] = []
    for attempt in range(policy.max_retries + 1):
        try:
            completion = call()
        except Exception as exc:
            status = getattr(exc, "status_code", None)
            if status in _FATAL:
                raise ConfigError(f"{spec.label}: {_FATAL[status]} (HTTP {status}): {_first_line(exc)}") from None
            wait, why = _retry_wait(exc, status, attempt)
            errors.append(why)
            if wait is None or attempt == policy.max_retries:
                raise CallFailed("; ".join(errors)) from None
            if wait > policy.max_wait_s:
                raise CallFailed(
                    f"{why}; the server asks to wait {wait:g} s, more than {policy.max_wait_s:g} s"
                ) from None
            policy.sleep(wait)
            continue
        return replace(completion, retries=attempt)
    raise CallFailed("; ".join(errors))  # not reached: the loop returns or raises


def _retry_wait(exc: Exception, status: int | None, attempt: int) -> tuple[float | None, str]:
    """How long to wait before trying again (None: do not), and what went wrong."""
    backoff = float(min(2**attempt, 30))
    name = type(exc).__name__
    if status == 429:
        after = _retry_after(getattr(exc, "response", None))
        return (after if after is not None else backoff), "rate limited (HTTP 429)"
    if status is not None and (status >= 500 or status in (408, 409)):
        return backoff, f"server error (HTTP {status})"
    if status is not None:
        return None, f"request refused (HTTP {status}): {_first_line(exc)}"
    if "Timeout" in name:
        return backoff, "the request timed out"
    if "Connection" in name:
        return backoff, f"connection failed: {_first_line(exc)}"
    return None, f"{name}: {_first_line(exc)}"  # an unreadable reply, for instance: not worth repeating


def _retry_after(response: Any) -> float | None:
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    try:
        if headers.get("retry-after-ms"):
            return max(0.0, float(headers["retry-after-ms"]) / 1000)
        value = headers.get("retry-after")
        if not value:
            return None
        try:
            return max(0.0, float(value))
        except ValueError:
            when = email.utils.parsedate_to_datetime(value)
            return max(0.0, when.timestamp() - time.time())
    except (TypeError, ValueError, OverflowError):
        return None


def _first_line(exc: Exception) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0][:300] if lines else type(exc).__name__


def _estimate(text: str) -> int:
    return max(1, len(text) // 4)


class OpenAIBackend:
    def __init__(
        self,
        spec: ModelSpec,
        api_key: str,
        base_url: str | None,
        timeout_s: float,
        max_tokens: int,
        temperature: float | None,
        policy: RetryPolicy,
    ) -> None:
        import openai

        self.spec, self._policy, self._temperature = spec, policy, temperature
        self._client = openai.OpenAI(api_key=api_key, base_url=base_url, timeout=timeout_s, max_retries=0)
        # OpenAI's own API wants max_completion_tokens (its reasoning models refuse max_tokens); compatible
        # servers (vLLM, Ollama) know max_tokens.
        self._limit = {"max_completion_tokens" if base_url is None else "max_tokens": max_tokens}

    def complete(self, system: str, user: str, *, seed: int, key: str) -> Completion:
        body: dict[str, Any] = {
            "model": self.spec.model,
            "messages": [{"role": "system", "content": system}, {"role": "user", "content": user}],
            "seed": seed % (1 << 31),
            **self._limit,
        }
        if self._temperature is not None:
            body["temperature"] = self._temperature

        def call() -> Completion:
            response = self._client.chat.completions.create(**body, extra_headers={"Idempotency-Key": key})
            choice = response.choices[0] if response.choices else None
            text = (choice.message.content if choice is not None else None) or ""
            usage = response.usage
            if usage is None or usage.prompt_tokens is None:
                return Completion(text, _estimate(system + user), _estimate(text), estimated=True)
            reason = str(choice.finish_reason) if choice is not None else ""
            return Completion(text, usage.prompt_tokens, usage.completion_tokens or 0, stop_reason=reason)

        return with_retries(self.spec, self._policy, call)


class AnthropicBackend:
    def __init__(
        self,
        spec: ModelSpec,
        api_key: str,
        base_url: str | None,
        timeout_s: float,
        max_tokens: int,
        temperature: float | None,
        policy: RetryPolicy,
    ) -> None:
        import anthropic

        self.spec, self._policy, self._max_tokens = spec, policy, max_tokens
        self._extra: dict[str, Any] = {} if temperature is None else {"temperature": temperature}
        self._client = anthropic.Anthropic(api_key=api_key, base_url=base_url, timeout=timeout_s, max_retries=0)

    def complete(self, system: str, user: str, *, seed: int, key: str) -> Completion:
        def call() -> Completion:
            response = self._client.messages.create(
                model=self.spec.model,
                max_tokens=self._max_tokens,
                system=system,
                messages=[{"role": "user", "content": user}],
                extra_headers={"Idempotency-Key": key},
                extra_body=self._extra or None,
            )
            text = "".join(getattr(b, "text", "") for b in response.content or [] if getattr(b, "type", "") == "text")
            usage = response.usage
            if usage is None:
                return Completion(text, _estimate(system + user), _estimate(text), estimated=True)
            return Completion(
                text, usage.input_tokens or 0, usage.output_tokens or 0, stop_reason=str(response.stop_reason)
            )

        return with_retries(self.spec, self._policy, call)
