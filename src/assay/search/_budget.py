"""What is left of a run's budget, counted from the run file (so that earlier sessions count too)."""

from __future__ import annotations

from dataclasses import dataclass

from assay.search._config import Budget
from assay.store import UsageTotals


@dataclass
class Spent:
    """Evaluations counted as the search goes (replayed ones included); usage and time come from the store."""

    budget: Budget
    max_idle: int
    evals: int = 0
    idle: int = 0  # attempts in a row that gave nothing to evaluate

    def stop_evaluating(self, elapsed_s: float) -> str | None:
        if self.budget.evals is not None and self.evals >= self.budget.evals:
            return f"evaluation budget reached ({self.budget.evals})"
        if self.budget.minutes is not None and elapsed_s >= 60 * self.budget.minutes:
            return f"time budget reached ({self.budget.minutes:g} min)"
        return None

    def stop_proposing(self, elapsed_s: float, usage: UsageTotals, pending: int = 0) -> str | None:
        """Why no new proposal should start; `pending` proposals already under way may each need an evaluation."""
        if self.budget.evals is not None and self.evals + pending >= self.budget.evals:
            return f"evaluation budget reached ({self.budget.evals})"
        if self.budget.tokens is not None and usage.tokens >= self.budget.tokens:
            return f"token budget reached ({usage.tokens} of {self.budget.tokens})"
        if self.budget.usd is not None and usage.cost_usd >= self.budget.usd:
            return f"money budget reached (${usage.cost_usd:.4f} of ${self.budget.usd:g})"
        if self.idle >= self.max_idle:
            return f"stalled: {self.idle} attempts in a row gave nothing new to evaluate"
        return self.stop_evaluating(elapsed_s)

    def left(self, elapsed_s: float, usage: UsageTotals) -> str:
        parts = []
        if self.budget.evals is not None:
            parts.append(f"{max(0, self.budget.evals - self.evals)} evals")
        if self.budget.minutes is not None:
            parts.append(f"{max(0.0, self.budget.minutes - elapsed_s / 60):.1f} min")
        if self.budget.tokens is not None:
            parts.append(f"{max(0, self.budget.tokens - usage.tokens)} tokens")
        if self.budget.usd is not None:
            parts.append(f"${max(0.0, self.budget.usd - usage.cost_usd):.2f}")
        return ", ".join(parts) + " left" if parts else "no budget set"
