"""`assay eval TASK CANDIDATE`: one verdict, readable or as the machine interface of docs/design.md section 1."""

from __future__ import annotations

import sys

import click

from assay.cli._common import one_line_errors, parse_sizes
from assay.errors import ConfigError
from assay.evaluate import EvalConfig, EvalResult, Evaluator
from assay.report import make_console, render_result, safe_text


def isolation_option(func: click.decorators.FC) -> click.decorators.FC:
    return click.option(
        "--isolation",
        type=click.Choice(["L1", "L2", "L3"]),
        default=None,
        help="Refuse to run unless at least this isolation level is available (L3 = namespaces + Landlock + seccomp).",
    )(func)


def timeout_option(func: click.decorators.FC) -> click.decorators.FC:
    return click.option("--timeout", type=float, default=300.0, show_default=True, help="Wall-time bound in seconds.")(
        func
    )


def device_option(func: click.decorators.FC) -> click.decorators.FC:
    return click.option(
        "--device", default="cpu", show_default=True, help="cpu, or cuda / cuda:N to time with CUDA events."
    )(func)


def make_config(timeout: float, isolation: str | None, sizes: dict[str, int], device: str = "cpu") -> EvalConfig:
    if timeout <= 0:
        raise ConfigError("--timeout must be positive")
    if device != "cpu" and not (device == "cuda" or (device.startswith("cuda:") and device[5:].isdigit())):
        raise ConfigError(f"--device takes cpu, cuda or cuda:N, got {device!r}")
    return EvalConfig(timeout_s=timeout, isolation=isolation, sizes=sizes, device=device)


def warn_weak_isolation(result: EvalResult) -> None:
    """Repeat the weak-isolation warning on stderr, where it is seen even when stdout is JSON or a file."""
    for warning in result.warnings:
        if warning.startswith("isolation "):
            make_console(stderr=True).print(f"[bold yellow]assay: warning:[/] {safe_text(warning)}")


@click.command("eval")
@click.argument("task", type=click.Path(path_type=str))
@click.argument("candidate", type=click.Path(path_type=str))
@click.option("--json", "as_json", is_flag=True, help="Print exactly one JSON object (the machine interface).")
@timeout_option
@isolation_option
@device_option
@click.option("--size", "sizes", multiple=True, metavar="NAME=N", help="Override a module-level size constant.")
@click.option("--shrink", is_flag=True, help="Shrink a large KernelBench-style problem's sizes to fit this machine.")
@one_line_errors
def eval_command(
    task: str,
    candidate: str,
    as_json: bool,
    timeout: float,
    isolation: str | None,
    device: str,
    sizes: tuple[str, ...],
    shrink: bool,
) -> None:
    """Evaluate CANDIDATE (a file defining ModelNew) on TASK (a KernelBench file or a task folder).

    Exit status: 0 if verified, 1 for any other verdict, 2 when the evaluation could not run (with --json,
    stdout then holds one error object whose verdict is null).
    """
    from assay.tasks import load_task

    evaluator = Evaluator()  # adopts the zygote `assay.__main__` started, or starts one: torch imports now
    try:
        loaded = load_task(task)
        chosen = parse_sizes(sizes)
        moves: list[str] = []
        if shrink and not chosen:
            from assay.vet import ShrinkResult, shrink_report

            report: ShrinkResult = shrink_report(loaded, time_budget_s=0.1)  # short calls leave room for many rounds
            chosen, moves = report.sizes, report.moves()
        result = evaluator.evaluate(loaded, candidate, make_config(timeout, isolation, chosen, device))
    finally:
        evaluator.close()
    if moves:
        result.warnings.append("sizes shrunk to fit this machine: " + ", ".join(moves))
    warn_weak_isolation(result)
    if as_json:
        click.echo(result.model_dump_json())
    else:
        render_result(result, make_console())
    sys.exit(0 if result.ok else 1)
