"""`LLMProposer`: asks one of several weighted models for a program, and turns its reply into a proposal."""

from __future__ import annotations

import json
import os
import random
from collections.abc import Mapping, Sequence

from assay.errors import ConfigError
from assay.llm._clients import AnthropicBackend, Backend, CallFailed, OpenAIBackend, RetryPolicy
from assay.llm._prices import PriceTable
from assay.llm._prompts import edit_base, system_prompt, user_prompt
from assay.llm._reply import describe, extract_program
from assay.llm._spec import BASE_URL_ENV, KEY_ENV, parse_model
from assay.search import Proposal, ProposalRequest, SearchConfig, Usage

# A local server (vLLM, Ollama) takes any key; the clients insist on one.
_LOCAL_KEY = "no-key"


class LLMProposer:
    """A Proposer over chat models. Which model answers a request is drawn by weight from the request's seed."""

    name = "llm"
    concurrent = True  # its work is waiting on HTTP: the search runs several at once, in threads

    def __init__(self, backends: Sequence[Backend], prices: PriceTable, device: str = "cpu") -> None:
        if not backends:
            raise ConfigError("the llm proposer needs at least one --model PROVIDER:MODEL")
        self._backends = list(backends)
        self._prices = prices
        self._system = system_prompt(device)

    @classmethod
    def from_config(cls, config: SearchConfig, environ: Mapping[str, str] | None = None) -> LLMProposer:
        """Backends for the configured models, keys and base URLs from the environment.

        Raises:
            ConfigError: no model, a malformed model, a missing key, or a money budget with a model of no price.
        """
        env = os.environ if environ is None else environ
        settings = config.llm
        prices = PriceTable(settings.prices)
        policy = RetryPolicy(settings.max_retries, settings.max_wait_s)
        backends: list[Backend] = []
        for text in settings.models:
            spec = parse_model(text)
            base_url = spec.base_url or settings.base_urls.get(spec.provider) or env.get(BASE_URL_ENV[spec.provider])
            key_name = settings.key_env.get(spec.provider, KEY_ENV[spec.provider])
            key = env.get(key_name) or (_LOCAL_KEY if base_url else None)
            if key is None:
                raise ConfigError(
                    f"no API key for {spec.label}: set {key_name} (or give the model a base URL for a local server)"
                )
            if config.budget.usd is not None and prices.price(spec.model) is None:
                raise ConfigError(f"no price known for {spec.model}: give one with --price {spec.model}=IN,OUT")
            kind = OpenAIBackend if spec.provider == "openai" else AnthropicBackend
            args = (spec, key, base_url, settings.timeout_s, settings.max_output_tokens, settings.temperature, policy)
            backends.append(kind(*args))
        return cls(backends, prices, config.eval.device)

    def _choose(self, seed: int) -> Backend:
        weights = [b.spec.weight for b in self._backends]
        return random.Random(seed).choices(self._backends, weights=weights, k=1)[0]

    def propose(self, request: ProposalRequest) -> Proposal:
        backend = self._choose(request.seed)
        spec = backend.spec
        user = user_prompt(request)
        prompt = json.dumps({"model": spec.label, "system": self._system, "user": user}, ensure_ascii=False)
        try:
            completion = backend.complete(self._system, user, seed=request.seed, key=request.key)
        except CallFailed as exc:
            return Proposal(None, self.name, spec.label, prompt, "", error=f"{spec.label}: {exc}")
        usage = Usage(
            completion.input_tokens,
            completion.output_tokens,
            self._prices.cost(spec.model, completion.input_tokens, completion.output_tokens),
        )
        source, error = extract_program(completion.text, edit_base(request))
        if error and completion.stop_reason in ("length", "max_tokens"):
            error += " (the reply was cut off at the output-token limit)"
        return Proposal(source, self.name, spec.label, prompt, completion.text, describe(completion.text), usage, error)
