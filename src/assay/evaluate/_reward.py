"""One number per result, for RL trainers and evolutionary search: what `reward()` pays, and why.

The policy, in order of what it must guarantee:

1. **Cheating never pays.** `flagged` gets the lowest value (-2 by default), below every honest failure, so a
   policy that tries an integrity violation does worse than one that writes a wrong kernel.
2. **Every honest failure is the same failure.** `incorrect`, `crashed`, `timeout` and `limit` get -1: the
   trainer learns "make it work" without a ranking among ways of not working (which would reward, say,
   timing out over crashing).
3. **Only proven speed is paid.** A verified result gets `log(low end of the 95% interval)` when it is
   `faster`, and 0 otherwise. The low end is what the measurement proved; the point estimate would pay for
   noise (an A/A comparison reads 1.01x half the time). The log makes 2x and 4x one step apart, as
   RE-Bench's normalized score and KernelBench's geometric means do, and keeps sums of rewards meaningful.
   A verified but slower candidate gets 0, not a negative number: it is still strictly better than any
   failure, which is what search needs to climb out of crashes first.

So: flagged (-2) < failed (-1) < verified, not faster (0) < verified and faster (log low > log 1.0 = 0).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from assay.evaluate._result import EvalResult, Verdict


@dataclass(frozen=True)
class RewardPolicy:
    """The values `reward()` gives. Change them only keeping flagged < failed < 0."""

    failed: float = -1.0
    """incorrect, crashed, timeout, limit."""
    flagged: float = -2.0
    """An integrity violation: lower than any honest failure."""
    not_faster: float = 0.0
    """Verified, but the interval does not show it faster (slower, or no measurable difference)."""

    def __post_init__(self) -> None:
        if not self.flagged < self.failed < self.not_faster:
            raise ValueError("a reward policy needs flagged < failed < not_faster")


DEFAULT_POLICY = RewardPolicy()


def reward(result: EvalResult, policy: RewardPolicy = DEFAULT_POLICY) -> float:
    """The scalar reward of one result (see this module's docstring for the policy and its reasons).

    `log(low end of the 95% interval)` when verified and faster; `policy.not_faster` (0) when verified and not
    faster; `policy.failed` (-1) for incorrect, crashed, timeout or limit; `policy.flagged` (-2) when flagged.
    """
    if result.verdict == Verdict.FLAGGED:
        return policy.flagged
    if result.verdict != Verdict.VERIFIED:
        return policy.failed
    if result.comparison == "faster" and result.speedup_ci is not None and result.speedup_ci[0] > 1.0:
        return math.log(result.speedup_ci[0])
    return policy.not_faster
