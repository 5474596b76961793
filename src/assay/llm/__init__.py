"""LLM proposers: OpenAI-compatible chat endpoints and the Anthropic Messages API, through their official clients."""

from assay.llm._clients import AnthropicBackend, Backend, CallFailed, Completion, OpenAIBackend, RetryPolicy
from assay.llm._prices import DEFAULT_PRICES, PriceTable, parse_price
from assay.llm._prompts import SYSTEM, user_prompt
from assay.llm._proposer import LLMProposer
from assay.llm._reply import apply_edits, extract_program
from assay.llm._spec import ModelSpec, parse_model

__all__ = [
    "DEFAULT_PRICES",
    "SYSTEM",
    "AnthropicBackend",
    "Backend",
    "CallFailed",
    "Completion",
    "LLMProposer",
    "ModelSpec",
    "OpenAIBackend",
    "PriceTable",
    "RetryPolicy",
    "apply_edits",
    "extract_program",
    "parse_model",
    "parse_price",
    "user_prompt",
]
