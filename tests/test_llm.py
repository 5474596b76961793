"""LLM proposers: model specs, prices, reply parsing, and both official clients against a scripted server on
loopback (paid APIs cannot run in tests; the clients, HTTP, status codes and headers are real)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from assay.errors import ConfigError
from assay.llm import (
    AnthropicBackend,
    CallFailed,
    LLMProposer,
    ModelSpec,
    OpenAIBackend,
    PriceTable,
    RetryPolicy,
    extract_program,
    parse_model,
    parse_price,
)
from assay.search import Budget, LLMSettings, Parent, ProposalRequest, SearchConfig
from assay.tasks import load_task
from tests.conftest import FIXTURES
from tests.scripted_llm import Reply, Request, ScriptedLLM

TASK = load_task(FIXTURES / "eval" / "task_tanh.py")
PARENT = (FIXTURES / "eval" / "honest.py").read_text()
FAST_POLICY = RetryPolicy(max_retries=2, max_wait_s=5.0)


def test_model_specs() -> None:
    assert parse_model("openai:gpt-4.1-mini=0.7") == ModelSpec("openai", "gpt-4.1-mini", None, 0.7)
    assert parse_model("anthropic:claude-sonnet-4-5") == ModelSpec("anthropic", "claude-sonnet-4-5", None, 1.0)
    local = parse_model("openai:qwen2.5-coder@http://localhost:8000/v1=0.5")
    assert (local.model, local.base_url, local.weight) == ("qwen2.5-coder", "http://localhost:8000/v1", 0.5)
    assert parse_model("openai:m@http://h/v1?key=abc").base_url == "http://h/v1?key=abc"  # not a weight: kept
    for bad in ("gpt-4o", "mistral:large", "openai:", "openai:m=0", "openai:m=-1", "openai:m@localhost"):
        with pytest.raises(ConfigError):
            parse_model(bad)


def test_prices() -> None:
    table = PriceTable({"my-model": (1.0, 2.0)})
    assert table.price("claude-sonnet-4-5-20250929") == table.price("claude-sonnet-4")  # dated names: the family
    assert table.price("gpt-4o-mini-2024-07-18") == (0.15, 0.6)  # the longest matching entry, not gpt-4o
    assert table.price("unknown-model") is None
    assert table.cost("my-model", 1_000_000, 500_000) == pytest.approx(2.0)
    assert parse_price("gpt-x=1.5,6") == ("gpt-x", (1.5, 6.0))
    for bad in ("gpt-x", "gpt-x=1", "gpt-x=a,b", "=1,2", "gpt-x=-1,2"):
        with pytest.raises(ConfigError):
            parse_price(bad)


def test_whole_files_and_edits() -> None:
    fenced = f"Faster now.\n```python\n{PARENT}```\nThat is all."
    assert extract_program(fenced, None) == (PARENT, "")
    bare = PARENT  # no fence at all, but plainly a program
    assert extract_program(bare, None)[0] == PARENT
    cut = "Here:\n```python\nimport torch\nclass ModelNew:\n    pass\n"  # cut off by the token limit: no closing fence
    assert extract_program(cut, None)[0] == "import torch\nclass ModelNew:\n    pass\n"
    edit = "In place.\n<<<<<<< SEARCH\n        return torch.tanh(x).mul_(self.scale)\n=======\n        return torch.tanh(x)\n>>>>>>> REPLACE\n"  # noqa: E501
    source, error = extract_program(edit, PARENT)
    assert error == "" and source is not None and "return torch.tanh(x)\n" in source and "mul_" not in source
    sloppy = edit.replace("        return torch.tanh(x).mul_", "  return torch.tanh(x).mul_")  # wrong indentation
    assert extract_program(sloppy, PARENT)[0] == source
    for reply, base, reason in (
        ("", PARENT, "empty"),
        ("   \n", PARENT, "empty"),
        ("I would rather not.", PARENT, "neither"),
        (edit, None, "no parent"),
        (edit.replace("tanh(x).mul_", "sigmoid(x).mul_"), PARENT, "not in the parent"),
        ("<<<<<<< SEARCH\n=======\nx\n>>>>>>> REPLACE\n", PARENT, "empty SEARCH"),
    ):
        program, error = extract_program(reply, base)
        assert program is None and reason in error, (reply, error)


def _program_reply(request: Request) -> Reply:
    return Reply(f"Plain.\n```python\n{PARENT}```\n", usage=(1000, 200))


def _backends(server: ScriptedLLM, policy: RetryPolicy = FAST_POLICY, timeout_s: float = 10.0) -> list:
    openai_spec = ModelSpec("openai", "scripted-gpt", server.openai_url)
    anthropic_spec = ModelSpec("anthropic", "scripted-claude", server.anthropic_url)
    return [
        OpenAIBackend(openai_spec, "sk-test", server.openai_url, timeout_s, 256, None, policy),
        AnthropicBackend(anthropic_spec, "sk-ant-test", server.anthropic_url, timeout_s, 256, None, policy),
    ]


def test_both_formats_carry_prompt_key_and_usage() -> None:
    with ScriptedLLM(_program_reply) as server:
        for backend in _backends(server):
            completion = backend.complete("the system", "the user", seed=7, key="run/3/1")
            assert completion.text.startswith("Plain.") and (completion.input_tokens, completion.output_tokens) == (
                1000,
                200,
            )
        openai_request, anthropic_request = server.requests
    assert openai_request.api == "openai" and anthropic_request.api == "anthropic"
    assert openai_request.headers["authorization"] == "Bearer sk-test"
    anthropic_auth = anthropic_request.headers.get("x-api-key") or anthropic_request.headers.get("authorization", "")
    assert anthropic_auth.endswith("sk-ant-test")
    for request in (openai_request, anthropic_request):
        assert (request.system, request.user, request.key) == ("the system", "the user", "run/3/1")
    assert openai_request.body["max_tokens"] == 256 and openai_request.body["seed"] == 7
    assert anthropic_request.body["max_tokens"] == 256


def test_rate_limit_honours_retry_after() -> None:
    seen: dict[str, int] = {}

    def script(request: Request) -> Reply:
        seen[request.api] = seen.get(request.api, 0) + 1
        if seen[request.api] == 1:
            return Reply(status=429, headers={"retry-after": "1"})
        return _program_reply(request)

    with ScriptedLLM(script) as server:
        for backend in _backends(server):
            started = time.monotonic()
            completion = backend.complete("s", "u", seed=1, key="k")
            assert completion.retries == 1 and completion.text.startswith("Plain.")
            assert time.monotonic() - started >= 1.0  # it waited as told, no sooner
    assert seen == {"openai": 2, "anthropic": 2}


def test_retry_after_longer_than_allowed_costs_the_attempt() -> None:
    with ScriptedLLM(lambda r: Reply(status=429, headers={"retry-after": "3600"})) as server:
        for backend in _backends(server):
            started = time.monotonic()
            with pytest.raises(CallFailed, match="asks to wait 3600 s"):
                backend.complete("s", "u", seed=1, key="k")
            assert time.monotonic() - started < 2.0


def test_server_errors_are_retried_then_given_up() -> None:
    calls: list[int] = []

    def script(request: Request) -> Reply:
        calls.append(1)
        return Reply(status=500) if len(calls) % 2 else _program_reply(request)

    with ScriptedLLM(script) as server:
        policy = RetryPolicy(max_retries=2, max_wait_s=5.0, sleep=lambda s: None)
        assert _backends(server, policy)[0].complete("s", "u", seed=1, key="k").retries == 1
    with ScriptedLLM(lambda r: Reply(status=503)) as server:
        with pytest.raises(CallFailed, match=r"server error \(HTTP 503\)"):
            _backends(server, policy)[1].complete("s", "u", seed=1, key="k")
        assert len(server.requests) == 3


def test_timeouts_are_bounded() -> None:
    with ScriptedLLM(lambda r: Reply("late", delay_s=3.0)) as server:
        policy = RetryPolicy(max_retries=1, max_wait_s=5.0, sleep=lambda s: None)
        for backend in _backends(server, policy, timeout_s=0.4):
            started = time.monotonic()
            with pytest.raises(CallFailed, match="timed out"):
                backend.complete("s", "u", seed=1, key="k")
            assert time.monotonic() - started < 2.5  # two tries of 0.4 s, not the server's 3 s each


def test_refused_key_and_unknown_model_stop_the_run() -> None:
    for status, words in ((401, "key was refused"), (404, "not found")):
        with ScriptedLLM(lambda r, s=status: Reply(status=s)) as server:
            for backend in _backends(server):
                with pytest.raises(ConfigError, match=words):
                    backend.complete("s", "u", seed=1, key="k")


def test_malformed_or_empty_replies_cost_one_attempt() -> None:
    for reply in (Reply(raw=b"this is not json"), Reply(raw=b'{"choices": "nonsense"}'), Reply(""), Reply("No code.")):
        with ScriptedLLM(lambda r, reply=reply: reply) as server:
            config = SearchConfig(proposer="llm", llm=LLMSettings(models=[f"openai:scripted@{server.openai_url}"]))
            proposer = LLMProposer.from_config(config, environ={})
            proposal = proposer.propose(ProposalRequest(TASK, "evolve", (Parent(1, PARENT),), seed=3, key="r/1/0"))
        assert proposal.source is None and proposal.error, reply
        assert TASK.source.strip() in json.loads(proposal.prompt)["user"]


def test_no_usage_reported_is_estimated() -> None:
    with ScriptedLLM(lambda r: Reply("x" * 400, usage=None)) as server:
        completion = _backends(server)[0].complete("s" * 40, "u" * 40, seed=1, key="k")
    assert completion.estimated and completion.output_tokens == 100 and completion.input_tokens == 20


def test_proposer_setup_errors() -> None:
    def config(models: list[str], **budget: float) -> SearchConfig:
        return SearchConfig(proposer="llm", budget=Budget(**budget), llm=LLMSettings(models=models))

    with pytest.raises(ConfigError, match=r"no API key for openai:gpt-4\.1: set OPENAI_API_KEY"):
        LLMProposer.from_config(config(["openai:gpt-4.1"]), environ={})
    with pytest.raises(ConfigError, match="set ANTHROPIC_API_KEY"):
        LLMProposer.from_config(config(["anthropic:claude-sonnet-4-5"]), environ={"OPENAI_API_KEY": "k"})
    with pytest.raises(ConfigError, match="no price known for my-local-model"):
        LLMProposer.from_config(config(["openai:my-local-model@http://127.0.0.1:9/v1"], usd=1.0), environ={})
    with pytest.raises(ConfigError, match="at least one --model"):
        LLMProposer.from_config(config([]), environ={})
    LLMProposer.from_config(config(["openai:gpt-4.1"]), environ={"OPENAI_API_KEY": "k"})  # a key: fine
    LLMProposer.from_config(config(["openai:m@http://127.0.0.1:9/v1"]), environ={})  # a local server needs none


def test_weights_choose_the_model_from_the_seed(tmp_path: Path) -> None:
    with ScriptedLLM(_program_reply) as server:
        models = [f"openai:heavy@{server.openai_url}=0.9", f"anthropic:light@{server.anthropic_url}=0.1"]
        proposer = LLMProposer.from_config(SearchConfig(proposer="llm", llm=LLMSettings(models=models)), environ={})
        chosen = [proposer.propose(ProposalRequest(TASK, "translate", seed=s, key=f"r/{s}/0")).model for s in range(40)]
        again = [proposer.propose(ProposalRequest(TASK, "translate", seed=s, key=f"r/{s}/0")).model for s in range(40)]
    assert chosen == again  # the same seed, the same model: a resumed run asks the same model
    assert 25 <= chosen.count("openai:heavy") < 40 and "anthropic:light" in chosen
