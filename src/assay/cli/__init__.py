"""The `assay` command line."""

from __future__ import annotations

import logging
import sys

import click

from assay.cli import _bench, _compare, _env, _eval, _machine, _optimize, _redteam, _report, _runs, _tasks


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="assay")
def main() -> None:
    """assay: get faster code out of AI systems and prove every claimed speedup is real."""
    # The library's own notices (a compile cache built once, for half a minute) go to stderr, one line each.
    log = logging.getLogger("assay")
    if not log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)


for _command in (
    _eval.eval_command,
    _bench.bench_command,
    _optimize.optimize_command,
    _runs.runs_command,
    _runs.show_command,
    _report.report_command,
    _compare.compare_command,
    _tasks.tasks,
    _machine.machine,
    _redteam.redteam,
    _env.env,
    _env.score_command,
):
    main.add_command(_command)

__all__ = ["main"]
