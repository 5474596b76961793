"""What one interleaved round measured: each side's block, as the orchestrator saw it.

Trusted side: plain values, built by `Rounds` and read by the flags and the result.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from assay.timing import Step
from assay.worker import Ran


@dataclass(frozen=True)
class Block:
    """One side's block of calls as the orchestrator saw it."""

    wall_s: float  # the calls' round trips, by the orchestrator's clock
    cpu_s: float  # CPU time of the worker's threads over the block, read from outside (Worker.cpu_time)
    inner_s: float  # the sum of the times the worker reported for its calls
    host_s: float  # the sum of the host times the worker reported (CUDA: includes other streams)
    interrupts: int  # taken by the timing CPU during the block; -1 when not countable


@dataclass(frozen=True)
class Round:
    """One interleaved round. `ref_s` and `cand_s` are the official samples: CPU time on the CPU (other
    processes' load does not inflate it), wall time on CUDA, where the work runs on the device."""

    step: Step
    ref: Block
    cand: Block
    call_bytes: int  # one call's input and output bytes
    cpu_clock: bool
    twin: int = 0  # which reference twin ran the round (the last of them, where both did)

    @property
    def calls(self) -> int:
        return self.step.calls

    @property
    def ref_first(self) -> bool:
        return self.step.reference_first

    @property
    def ref_s(self) -> float:
        return self.ref.cpu_s if self.cpu_clock else self.ref.wall_s

    @property
    def cand_s(self) -> float:
        return self.cand.cpu_s if self.cpu_clock else self.cand.wall_s


@dataclass
class Side:
    """What one side's block produced: its replies and the output bytes read at each call's return."""

    block: Block
    replies: list[Ran]
    outputs: list[memoryview | None]
    threads_after: int = 0
    frozen_last: memoryview | None = None  # the last output, read again once the worker was frozen


def input_span(specs: list[dict[str, Any]]) -> tuple[int, int] | None:
    """The bytes of one call's input tensors in the channel (the generator lays them out contiguously)."""
    tensors = [s for s in specs if "offset" in s]
    if not tensors:
        return None
    return min(s["offset"] for s in tensors), max(s["offset"] + s["nbytes"] for s in tensors)


def pad_blocks(since: int, blocks: int, ref_first: bool) -> int:
    """How many reference blocks' worth of idling makes the candidate's gap the same whatever the order: `since`
    reference blocks ran after its last block, and this round runs `blocks` of them, before it or after it. The
    gap is two blocks, or `since + blocks` when more already ran (a warm-up round runs both twins)."""
    gap = max(2, since + blocks)
    return gap - since - (blocks if ref_first else 0)


def stand_ins(since: int, twins: list[int], ref_first: bool) -> list[int]:
    """The twins whose latest whole turn each stretch of idling before the candidate's block lasts as long as:
    this round's, in turn, so that the gap holds the same twins in both orders (`Rounds._pad`)."""
    return [twins[i % len(twins)] for i in range(pad_blocks(since, len(twins), ref_first))]
