"""`python -m assay` and the `assay` console command."""

from __future__ import annotations

import sys


def _evaluates(args: list[str]) -> bool:
    """Whether the command line runs evaluations (and so needs a zygote)."""
    if {"-h", "--help"} & set(args) or any(a == "--ray" or a.startswith("--ray=") for a in args):
        return False  # with --ray the evaluations run on the cluster's nodes, each with its own zygote
    return bool(args) and (
        args[0] in {"eval", "bench", "optimize", "redteam"} or args[:2] in (["tasks", "check"], ["env", "serve"])
    )


def run() -> None:
    """Start the zygote first: torch imports in it while the command line imports its own modules.

    A failure outside any command (the zygote cannot start, an import breaks) is reported like one inside:
    one line on stderr, exit status 2, and the JSON error object when `--json` was asked for.
    """
    try:
        if _evaluates(sys.argv[1:]):
            from assay.evaluate._zygote import start_early

            start_early()
        from assay.cli import main

        main()
    except KeyboardInterrupt:
        print("assay: interrupted", file=sys.stderr)
        sys.exit(130)
    except Exception as exc:
        from assay.cli._common import fail

        fail(exc, "--json" in sys.argv[1:] or "--format=json" in sys.argv[1:])


if __name__ == "__main__":
    run()
