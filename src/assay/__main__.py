"""`python -m assay` and the `assay` console command."""

from __future__ import annotations

import sys


def _evaluates(args: list[str]) -> bool:
    """Whether the command line runs evaluations (and so needs a zygote)."""
    if {"-h", "--help"} & set(args):
        return False
    return bool(args) and (args[0] in {"eval", "bench", "optimize", "redteam"} or args[:2] == ["tasks", "check"])


def run() -> None:
    """Start the zygote first: torch imports in it while the command line imports its own modules."""
    if _evaluates(sys.argv[1:]):
        from assay.evaluate._zygote import start_early

        start_early()
    from assay.cli import main

    main()


if __name__ == "__main__":
    run()
