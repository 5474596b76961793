"""`assay optimize TASK` and `assay optimize --resume RUN`: a search that ends with the best verified candidate."""

from __future__ import annotations

import secrets
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from assay._text import plain
from assay.cli._common import one_line_errors
from assay.cli._eval import device_option, isolation_option, make_config, timeout_option
from assay.errors import ConfigError
from assay.evaluate import Evaluator
from assay.report import verdict_text
from assay.search import Budget, EvalSettings, LineReporter, LiveReporter, LLMSettings, Outcome, SearchConfig
from assay.store import DEFAULT_RUNS_DIR, RunStore, find_run

if TYPE_CHECKING:
    from assay.cluster import RayEvaluator

DEFAULT_EVALS = 40  # when no budget is given at all
_RESUMABLE = {
    *("resume_run", "budget_evals", "budget_minutes", "budget_tokens", "budget_usd", "out", "run_dir", "plain"),
    "ray_address",  # where to evaluate is not part of what the run is
}


def _pairs(values: tuple[str, ...], option: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for item in values:
        key, eq, value = item.partition("=")
        if not eq or not key or not value:
            raise ConfigError(f"{option} takes PROVIDER=VALUE, got {item!r}")
        pairs[key] = value
    return pairs


def _budget(evals: int | None, minutes: float | None, tokens: int | None, usd: float | None) -> Budget:
    for name, value in (("evals", evals), ("minutes", minutes), ("tokens", tokens), ("usd", usd)):
        if value is not None and not value > 0:
            raise ConfigError(f"--budget-{name} must be positive, got {value}")
    return Budget(evals=evals, minutes=minutes, tokens=tokens, usd=usd)


@click.command("optimize")
@click.argument("task", required=False, type=click.Path(path_type=str))
@click.option("--resume", "resume_run", metavar="RUN", help="Continue a run (its id, folder or file) where it stopped.")
@click.option("--proposer", default="offline", show_default=True, help="offline (no key, no network) or llm.")
@click.option(
    "--model", "models", multiple=True, metavar="PROVIDER:MODEL[@URL][=W]", help="An LLM to ask (repeat, with weights)."
)
@click.option("--price", "prices", multiple=True, metavar="MODEL=IN,OUT", help="USD per million tokens in and out.")
@click.option("--base-url", "base_urls", multiple=True, metavar="PROVIDER=URL", help="Endpoint for a provider.")
@click.option("--key-env", "key_env", multiple=True, metavar="PROVIDER=VAR", help="Variable holding a provider's key.")
@click.option("--budget-evals", type=int, help=f"Evaluations at most (default {DEFAULT_EVALS} if no budget is given).")
@click.option("--budget-minutes", type=float, help="Wall-clock minutes at most.")
@click.option("--budget-tokens", type=int, help="LLM tokens (in + out) at most.")
@click.option("--budget-usd", type=float, help="Money at most, at the price table's rates.")
@click.option("--seed", type=int, help="Seed of every random choice (default: a fresh one, printed).")
@click.option("--parallel", type=click.IntRange(1, 64), help="Concurrent proposals (default 4 for llm, 1 otherwise).")
@click.option("--islands", type=click.IntRange(1, 64), default=3, show_default=True)
@click.option("--max-repairs", type=click.IntRange(0, 10), default=2, show_default=True)
@click.option(
    "--similarity",
    type=click.FloatRange(0, 1, min_open=True),
    default=0.99,
    show_default=True,
    help="Near-duplicate threshold for programs of the same tokens in another order (1: exact duplicates only).",
)
@click.option("--quick", is_flag=True, help="Shorter evaluations during the search (wider intervals).")
@click.option("--no-confirm", is_flag=True, help="Skip the fresh full evaluation of the best at the end.")
@click.option("--llm-timeout", type=float, default=300.0, show_default=True, help="Seconds per LLM call.")
@click.option("--out", type=click.Path(path_type=Path), help="Also write the best candidate here.")
@click.option("--run-dir", type=click.Path(path_type=Path), default=DEFAULT_RUNS_DIR, show_default=True)
@click.option("--plain", is_flag=True, help="One plain line per evaluation, even on a terminal.")
@click.option(
    "--ray",
    "ray_address",
    metavar="ADDRESS",
    help="Evaluate on a Ray cluster (auto, or the head's HOST:PORT); --parallel N keeps N of its nodes busy.",
)
@timeout_option
@isolation_option
@device_option
@one_line_errors
@click.pass_context
def optimize_command(ctx: click.Context, /, task: str | None, resume_run: str | None, **opts: Any) -> None:
    """Search for a faster ModelNew for TASK; every candidate is judged by the evaluator.

    Ends with the best verified candidate written to the run's folder (and --out), its verdict and interval.
    Exit status: 0 if a verified candidate was found, 1 if none, 2 for a usage error.
    """
    from assay.search import make_proposer, optimize, resume
    from assay.tasks import load_task

    budget_args = (opts["budget_evals"], opts["budget_minutes"], opts["budget_tokens"], opts["budget_usd"])
    if resume_run is not None:
        extra = [n for n in ctx.params if n not in _RESUMABLE and _given(ctx, n) and n != "task"]
        if task is not None or extra:
            raise ConfigError(
                "with --resume, give only budgets, --out, --run-dir, --plain and --ray (the rest is the run's)"
            )
        run_file = find_run(resume_run, opts["run_dir"])
        config = _run_config(run_file)
        budget = _resumed_budget(config.budget, budget_args) if any(v is not None for v in budget_args) else None
        proposer = make_proposer(config)
        total = (budget or config.budget).evals
        with _evaluator(opts["ray_address"]) as evaluator, _reporter(opts["plain"], total) as reporter:
            outcome = resume(run_file, evaluator, reporter, budget=budget, proposer=proposer, out=opts["out"])
    else:
        if task is None:
            raise ConfigError("give a TASK to optimize, or --resume RUN")
        config = _config(opts, budget_args)
        loaded, proposer = load_task(task), make_proposer(config)  # a missing key is reported before any work
        click.echo(f"assay optimize: seed {config.seed}, proposer {config.proposer}", err=True)
        with _evaluator(opts["ray_address"]) as evaluator, _reporter(opts["plain"], config.budget.evals) as reporter:
            outcome = optimize(
                loaded, config, evaluator, reporter, runs_dir=opts["run_dir"], proposer=proposer, out=opts["out"]
            )
    _print_outcome(outcome)
    sys.exit(0 if outcome.ok else 1)


def _evaluator(ray_address: str | None) -> Evaluator | RayEvaluator:
    """One warm evaluator here, or one per timing CPU of a Ray cluster."""
    if ray_address is None:
        return Evaluator()
    from assay.cluster import RayEvaluator

    return RayEvaluator(ray_address, notice=lambda text: click.echo(f"assay: {text}", err=True))


def _given(ctx: click.Context, name: str) -> bool:
    source = ctx.get_parameter_source(name)
    return source is not None and source != click.core.ParameterSource.DEFAULT


def _config(opts: dict[str, Any], budget_args: tuple[Any, ...]) -> SearchConfig:
    from assay.llm import parse_model, parse_price

    budget = _budget(*budget_args) if any(v is not None for v in budget_args) else Budget(evals=DEFAULT_EVALS)
    eval_config = make_config(opts["timeout"], opts["isolation"], {}, opts["device"])  # validates them
    for text in opts["models"]:
        parse_model(text)
    if opts["proposer"] == "llm" and not opts["models"]:
        raise ConfigError("--proposer llm needs at least one --model PROVIDER:MODEL")
    if opts["llm_timeout"] <= 0:
        raise ConfigError("--llm-timeout must be positive")
    llm = LLMSettings(
        models=list(opts["models"]),
        prices=dict(parse_price(p) for p in opts["prices"]),
        base_urls=_pairs(opts["base_urls"], "--base-url"),
        key_env=_pairs(opts["key_env"], "--key-env"),
        timeout_s=opts["llm_timeout"],
    )
    return SearchConfig(
        proposer=opts["proposer"],
        seed=opts["seed"] if opts["seed"] is not None else secrets.randbelow(1 << 31),
        budget=budget,
        parallel=opts["parallel"] or (4 if opts["proposer"] == "llm" else 1),
        islands=opts["islands"],
        max_repairs=opts["max_repairs"],
        similarity=opts["similarity"],
        confirm=not opts["no_confirm"],
        eval=EvalSettings(
            timeout_s=eval_config.timeout_s,
            quick=opts["quick"],
            device=eval_config.device,
            isolation=eval_config.isolation,
        ),
        llm=llm,
    )


def _run_config(run_file: Path) -> SearchConfig:
    store = RunStore.open(run_file)
    try:
        return SearchConfig.model_validate_json(store.run().config)
    finally:
        store.close()


def _resumed_budget(old: Budget, budget_args: tuple[Any, ...]) -> Budget:
    """The run's budget with the limits given now put in place of its own."""
    new = _budget(*budget_args)
    return Budget(**{k: getattr(new, k) if getattr(new, k) is not None else v for k, v in old.model_dump().items()})


class _Plain(LineReporter):
    def __enter__(self) -> _Plain:
        return self

    def __exit__(self, *exc: object) -> None:
        pass


def _reporter(plain: bool, total: int | None) -> _Plain | LiveReporter:
    console = Console(stderr=True)
    if plain or not console.is_terminal:
        return _Plain(console)
    return LiveReporter(console, total)


def _print_outcome(outcome: Outcome) -> None:
    console = Console()
    store = RunStore.open(outcome.run_file)
    try:
        info, usage = store.run(), store.usage()
    finally:
        store.close()
    console.print(Text(f"assay optimize {info.task_name}: run {info.id} stopped: {outcome.stop_reason}"))
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="dim")
    grid.add_column()
    best, result = outcome.best, outcome.result
    if best is None or result is None:
        grid.add_row("best", "no candidate was verified")
    else:
        how = "a fresh full evaluation" if outcome.confirmed else "its evaluation during the search"
        where = Text(f"candidate {best.id} ({best.stage}, step {best.step}, {best.model or best.proposer}), by {how}: ")
        where.append_text(Text.from_markup(verdict_text(str(result.verdict))))
        grid.add_row("best", where)
        if result.speedup is not None and result.speedup_ci is not None:
            low, high = result.speedup_ci
            grid.add_row(
                "speedup", f"[bold]{result.speedup:.3f}x[/]  95% CI [{low:.3f}, {high:.3f}]  ({result.comparison})"
            )
        elif result.message:
            grid.add_row("message", Text(plain(result.message)[:300]))
    spent = f"{outcome.evals} evaluations in {info.elapsed_s / 60:.1f} min"
    if usage.calls:
        spent += f"; {usage.calls} LLM calls, {usage.tokens:,} tokens, ${usage.cost_usd:.4f}"
    grid.add_row("spent", spent)
    for path in outcome.written:
        grid.add_row("written", Text(str(path)))
    grid.add_row("score log", Text(f"{outcome.run_file}   (assay show {info.id})"))
    console.print(grid)
