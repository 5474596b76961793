"""Progress on stderr: a live bar on a terminal (evaluations, best so far, budget left), and one plain line per
evaluation either way. Candidate and LLM text is untrusted: it is printed as plain text, never as markup."""

from __future__ import annotations

from typing import Protocol

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.text import Text

from assay._text import plain
from assay.evaluate import EvalResult
from assay.store import CandidateRow


class Reporter(Protocol):
    def evaluated(self, row: CandidateRow, result: EvalResult, evals: int, best: float | None, left: str) -> None: ...
    def rejected(self, row: CandidateRow, reason: str) -> None: ...
    def waiting(self, what: str) -> None: ...


def evaluation_line(row: CandidateRow, result: EvalResult, evals: int, best: float | None, left: str) -> str:
    speed = ""
    if result.speedup is not None and result.speedup_ci is not None:
        speed = f" {result.speedup:.3f}x [{result.speedup_ci[0]:.3f}, {result.speedup_ci[1]:.3f}]"
    note = "" if result.ok else f" ({_short(result.message or ', '.join(f.id for f in result.flags))})"
    best_text = f"{best:.3f}x" if best is not None else "none"
    return (
        f"eval {evals}: candidate {row.id} ({row.stage}, step {row.step}.{row.attempt}) {result.verdict}{speed}{note}"
        f"  best {best_text}  {left}"
    )


def _short(text: str, width: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 3] + "..."


class LineReporter:
    """One plain line per evaluation and per rejected proposal (off a terminal, or when asked)."""

    def __init__(self, console: Console) -> None:
        self.console = console

    def evaluated(self, row: CandidateRow, result: EvalResult, evals: int, best: float | None, left: str) -> None:
        self.console.print(Text(plain(evaluation_line(row, result, evals, best, left))), soft_wrap=True)

    def rejected(self, row: CandidateRow, reason: str) -> None:
        where = f"{row.stage}, step {row.step}.{row.attempt}"
        self.console.print(
            Text(plain(f"skip: candidate {row.id} ({where}) not evaluated: {_short(reason)}")), soft_wrap=True
        )

    def waiting(self, what: str) -> None:
        pass


class LiveReporter(LineReporter):
    """The lines, and under them a bar: evaluations done (of the budget), best fitness, budget left."""

    def __init__(self, console: Console, total_evals: int | None) -> None:
        super().__init__(console)
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}", markup=False),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("best {task.fields[best]}", markup=False),
            TextColumn("{task.fields[left]}", markup=False),
            TimeElapsedColumn(),
            console=console,
        )
        self.bar = self.progress.add_task("starting", total=total_evals, best="none", left="")

    def __enter__(self) -> LiveReporter:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def evaluated(self, row: CandidateRow, result: EvalResult, evals: int, best: float | None, left: str) -> None:
        super().evaluated(row, result, evals, best, left)
        best_text = f"{best:.3f}x" if best is not None else "none"
        self.progress.update(self.bar, completed=evals, best=best_text, left=left, description="searching")

    def waiting(self, what: str) -> None:
        self.progress.update(self.bar, description=what)
