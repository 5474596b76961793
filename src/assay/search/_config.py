"""The search's settings, stored in the run file (so that `--resume` continues with the same ones)."""

from __future__ import annotations

from dataclasses import replace

from pydantic import BaseModel, ConfigDict, Field

from assay.evaluate import EvalConfig

SEARCH_CONFIG_VERSION = 1


class Budget(BaseModel):
    """When the search stops: whichever limit comes first. None: no limit of that kind.

    Evaluations and time are checked before each evaluation (an evaluation under way finishes); tokens and money
    before each LLM call (calls already under way finish, so a run can pass the money budget by at most the calls
    in flight).
    """

    model_config = ConfigDict(frozen=True)
    evals: int | None = Field(default=None, ge=1)
    minutes: float | None = Field(default=None, gt=0)
    tokens: int | None = Field(default=None, ge=1)
    usd: float | None = Field(default=None, gt=0)


class EvalSettings(BaseModel):
    """How each candidate is evaluated. `quick` trades interval width for throughput during the search (fewer
    rounds, a wider target); the best candidate is confirmed at the end with the full protocol either way."""

    model_config = ConfigDict(frozen=True)
    timeout_s: float = Field(default=300.0, gt=0)
    quick: bool = False
    device: str = "cpu"
    isolation: str | None = None
    sizes: dict[str, int] = Field(default_factory=dict)

    def search_config(self) -> EvalConfig:
        base = EvalConfig(timeout_s=self.timeout_s, device=self.device, isolation=self.isolation, sizes=self.sizes)
        if not self.quick:
            return base
        return replace(base, min_rounds=10, max_rounds=60, target_halfwidth=0.03, timing_budget_s=0.5, warmup_s=0.05)

    def confirm_config(self) -> EvalConfig:
        return EvalConfig(timeout_s=self.timeout_s, device=self.device, isolation=self.isolation, sizes=self.sizes)


class LLMSettings(BaseModel):
    """The LLM proposers' settings. Keys are never stored: they come from the environment at every session."""

    model_config = ConfigDict(frozen=True)
    models: list[str] = Field(default_factory=list)  # PROVIDER:MODEL[@BASE_URL][=WEIGHT], as given
    prices: dict[str, tuple[float, float]] = Field(default_factory=dict)  # model -> USD per 1M tokens (in, out)
    base_urls: dict[str, str] = Field(default_factory=dict)  # provider -> base URL (else the model's, else env)
    key_env: dict[str, str] = Field(default_factory=dict)  # provider -> the variable holding its key
    timeout_s: float = Field(default=300.0, gt=0)
    max_output_tokens: int = Field(default=8192, ge=1)
    temperature: float | None = None
    max_retries: int = Field(default=4, ge=0)  # 429, 5xx, timeouts and connection errors, per call
    max_wait_s: float = Field(default=120.0, ge=0)  # the longest retry-after honoured


class SearchConfig(BaseModel):
    """Everything that decides what a run does. Randomness comes from (seed, step), so a run resumed from its
    file makes the same choices as one never interrupted."""

    model_config = ConfigDict(frozen=True)
    version: int = SEARCH_CONFIG_VERSION
    proposer: str = "offline"
    seed: int = 0
    budget: Budget = Field(default_factory=Budget)
    parallel: int = Field(default=1, ge=1, le=64)  # proposals made from one state of the database, concurrently
    islands: int = Field(default=3, ge=1, le=64)
    migration_interval: int = Field(default=4, ge=1)  # generations between ring migrations of island bests
    crossover_rate: float = Field(default=0.2, ge=0, le=1)
    explore_rate: float = Field(default=0.3, ge=0, le=1)  # parent drawn uniformly from the MAP-Elites cells
    inspirations: int = Field(default=2, ge=0, le=8)
    max_repairs: int = Field(default=2, ge=0, le=10)  # further attempts for a child that failed
    similarity: float = Field(default=0.99, gt=0, le=1)  # near-duplicate threshold (see search._programs)
    max_idle: int = Field(default=30, ge=1)  # stop after this many attempts in a row gave nothing to evaluate
    confirm: bool = True
    eval: EvalSettings = Field(default_factory=EvalSettings)
    llm: LLMSettings = Field(default_factory=LLMSettings)
