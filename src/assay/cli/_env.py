"""`assay env init|serve|report|summary` and the agent's `assay score`."""

from __future__ import annotations

import os
import re
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Literal, cast

import click
from rich.console import Console

from assay.cli._common import one_line_errors
from assay.cli._env_render import render_init, render_report, render_summary
from assay.errors import ConfigError

if TYPE_CHECKING:
    from assay.env import Scorer


@click.group("env")
def env() -> None:
    """RE-Bench-style environments: a workspace for an agent, a scorer it cannot change, a score log."""


def parse_duration(text: str) -> float:
    """`3600`, `90m`, `8h`, `1h30m` to seconds.

    Raises:
        ConfigError: anything else.
    """
    match = re.fullmatch(r"\s*(?:(\d+(?:\.\d+)?)h)?\s*(?:(\d+(?:\.\d+)?)m)?\s*(?:(\d+(?:\.\d+)?)s?)?\s*", text)
    if not text.strip() or match is None:
        raise ConfigError(f"--time-budget takes seconds or a duration such as 90m or 8h, got {text!r}")
    hours, minutes, seconds = (float(g) if g else 0.0 for g in match.groups())
    total = hours * 3600 + minutes * 60 + seconds
    if total <= 0:
        raise ConfigError("--time-budget must be positive")
    return total


@env.command("init")
@click.argument("task", type=click.Path(path_type=Path))
@click.argument("workspace", type=click.Path(path_type=Path))
@click.option("--state", type=click.Path(path_type=Path), help="The scorer's state directory [default: DIR.state].")
@click.option("--socket", type=click.Path(path_type=Path), help="The scorer's unix socket [default: STATE.sock].")
@click.option("--start", type=click.Path(path_type=Path), help="Starting solution [default: the task's start.py].")
@click.option("--reference", type=click.Path(path_type=Path), help="Reference solution [default: reference.py].")
@click.option("--time-budget", help="Time the agent has, e.g. 8h or 90m [default: the task's, else none].")
@click.option("--quick", is_flag=True, help="Few timing rounds: to try an environment out, not for scores to report.")
@click.option("--isolation", type=click.Choice(["L1", "L2", "L3"]), default="L2", show_default=True)
@click.option("--device", default="cpu", show_default=True, help="cpu, or cuda / cuda:N.")
@click.option(
    "--baselines-from",
    type=click.Path(path_type=Path),
    help="Reuse the baselines of another environment (STATE) of this task, so that runs share y_s and y_r.",
)
@click.option(
    "--baseline-runs",
    type=click.IntRange(1, 20),
    help="Evaluations of each baseline, averaged [default: 3; 1 with --quick].",
)
@click.option("--owner", help="Give the workspace to this user (NAME, UID or UID:GID; root only).")
@click.option("--scorer", help="Give the state to this user, who runs `assay env serve` (root only).")
@one_line_errors
def init_command(
    task: Path,
    workspace: Path,
    state: Path | None,
    socket: Path | None,
    start: Path | None,
    reference: Path | None,
    time_budget: str | None,
    quick: bool,
    isolation: str,
    device: str,
    baselines_from: Path | None,
    baseline_runs: int | None,
    owner: str | None,
    scorer: str | None,
) -> None:
    """Create WORKSPACE (for the agent) and a state directory (for the scorer) for TASK."""
    from assay.env import Layout, ScorerSettings, default_layout, init_environment, resolve

    state, sock = default_layout(workspace, state, socket)
    level = cast(Literal["L1", "L2", "L3"], isolation)
    settings = ScorerSettings.quick(level, device) if quick else ScorerSettings(isolation=level, device=device)
    if baseline_runs is not None:
        settings = settings.model_copy(update={"baseline_runs": baseline_runs})
    layout = Layout(
        workspace=workspace.absolute(),
        state=state,
        socket=sock,
        owner=resolve(owner) if owner else None,
        scorer=resolve(scorer) if scorer else None,
    )
    budget = parse_duration(time_budget) if time_budget else None
    made = init_environment(
        task,
        layout,
        start=start,
        reference=reference,
        time_budget_s=budget,
        settings=settings,
        baselines_from=baselines_from,
    )
    render_init(made, state, scorer, Console())


@env.command("serve")
@click.argument("state", type=click.Path(path_type=Path))
@one_line_errors
def serve_command(state: Path) -> None:
    """Run the scorer of the environment in STATE until interrupted (as the user who owns STATE).

    Measures the baselines first if they are not measured yet; one line per request goes to stderr.
    """
    from assay.env import serve

    os.umask(0o077)
    stop = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)

    def ready(scorer: Scorer) -> None:
        click.echo(f"assay env serve: listening on {scorer.env.socket}", err=True)

    serve(state, stop=stop, ready=ready)  # its evaluator adopts the zygote `assay.__main__` started


@env.command("report")
@click.argument("state", type=click.Path(path_type=Path))
@click.option("--plot", type=click.Path(path_type=Path), help="Write a PNG of score against time here.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@one_line_errors
def report_command(state: Path, plot: Path | None, as_json: bool) -> None:
    """The score log of one run (the environment in STATE), its best score, and a plot of score against time."""
    from assay.env import load_run, plot_run, report

    run = load_run(state)
    if plot:
        plot_run(run, plot)
    made = report(run)
    if as_json:
        click.echo(made.model_dump_json())
    else:
        render_report(made, plot, Console())


@env.command("summary")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--plot", type=click.Path(path_type=Path), help="Write a PNG of best-of-k against total time here.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@one_line_errors
def summary_command(paths: tuple[Path, ...], plot: Path | None, as_json: bool) -> None:
    """Normalized score per task and best-of-k over many runs (state directories, or folders holding them)."""
    from assay.env import find_runs, plot_summary, summarize

    made = summarize(find_runs(list(paths)))
    if plot:
        plot_summary(made, plot)
    if as_json:
        click.echo(made.model_dump_json())
    else:
        render_summary(made, plot, Console())


@click.command("score")
@click.option("--workspace", type=click.Path(path_type=Path), default=Path("."), help="The workspace [default: .].")
@click.option("--status", is_flag=True, help="Show the best score so far and the time, without scoring.")
@click.option("--json", "as_json", is_flag=True, help="Print the scorer's reply as one JSON object.")
def score_command(workspace: Path, status: bool, as_json: bool) -> None:
    """Score the workspace's solution.py with its environment's scorer (what `./score` in a workspace does).

    Exit status: 0 if verified, 1 for any other verdict, 2 when it could not be scored.
    """
    from assay.env._client import main

    args = [flag for flag, on in (("--status", status), ("--json", as_json)) if on]
    sys.exit(main(args, workspace=str(workspace.absolute())))
