"""Can a candidate tell the round order from the gaps between its blocks? Measured from the orchestrator.

    python bench/order_leak.py TASK [--runs 6] [--old-padding]

Runs A/A evaluations (the task's own `Model` as the candidate) in one warm evaluator and records, for every
measured round, the wall time from the end of the candidate's previous block to the start of its block: what the
candidate can see from inside with its own clock, less its wake-up. It then compares the gaps of the rounds in
which the reference ran first with those in which it ran after: their mean difference, and the chance that a
random gap of the first kind exceeds one of the second (0.5: the gap says nothing about the order).

`--old-padding` alternates with the padding before the fix, which stood in for each missing reference block with
the latest reference block's time (whichever twin ran it), so the gap held twins A and B in one order and A
twice in the other.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np

import assay
from assay.evaluate import _round, _rounds

Rounds = _rounds.Rounds
_block, _run, _reference, _pad = Rounds._block, Rounds.run, Rounds._reference, Rounds._pad
_mode = {"old": False}
_blocks: list[tuple[float, float]] = []
_gaps: dict[bool, list[tuple[bool, float, float]]] = {True: [], False: []}  # mode -> (ref_first, gap, block)


def timed_block(self: Any, worker: Any, *args: Any) -> Any:
    t0 = time.perf_counter()
    side = _block(self, worker, *args)
    if worker is self.session.cand:
        _blocks.append((t0, time.perf_counter()))
    return side


def recorded_run(self: Any, step: Any) -> Any:
    result = _run(self, step)
    if step.phase == "measure" and len(_blocks) >= 2 and getattr(self, "measured_before", False):
        (_, end), (start, _) = _blocks[-2], _blocks[-1]
        _gaps[_mode["old"]].append((result.ref_first, start - end, result.ref.wall_s))
    self.measured_before = step.phase == "measure"
    return result


def latest_reference(self: Any, twin: int, *args: Any) -> Any:
    side = _reference(self, twin, *args)
    self.latest_wall_s = side.block.wall_s
    return side


def padding(self: Any, ref_first: bool, twins: list[int]) -> None:
    if not _mode["old"]:
        return _pad(self, ref_first, twins)
    blocks = _round.pad_blocks(self.ref_blocks_since_candidate, len(twins), ref_first)
    until = time.perf_counter() + blocks * getattr(self, "latest_wall_s", 0.0)
    while time.perf_counter() < until:
        pass
    return None


def report(label: str, gaps: list[tuple[bool, float, float]]) -> None:
    first = np.array([g for f, g, _ in gaps if f])
    after = np.array([g for f, g, _ in gaps if not f])
    if first.size < 3 or after.size < 3:
        print(f"{label}: too few rounds")
        return
    above = float(np.mean(first[:, None] > after[None, :]))  # Mann-Whitney: P(a ref-first gap > a ref-after one)
    block = statistics.fmean(b for _, _, b in gaps)
    diff = float(first.mean() - after.mean())
    print(
        f"{label}: {first.size} rounds with the reference first, {after.size} after; mean gap "
        f"{first.mean() * 1e3:.3f} vs {after.mean() * 1e3:.3f} ms ({diff * 1e3:+.3f} ms, {diff / block:+.2%} of a "
        f"reference block); P(first > after) = {above:.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("task", type=Path)
    parser.add_argument("--runs", type=int, default=6)
    parser.add_argument("--old-padding", action="store_true", help="alternate with the padding before the fix")
    args = parser.parse_args()
    task = args.task / "task.py" if args.task.is_dir() else args.task
    if not task.is_file():
        raise SystemExit(f"no task file at {args.task}")
    Rounds._block, Rounds.run, Rounds._reference, Rounds._pad = timed_block, recorded_run, latest_reference, padding
    source = task.read_text() + "\n\nModelNew = Model\n"
    with assay.Evaluator() as ev:
        for i in range(args.runs * (2 if args.old_padding else 1)):
            _mode["old"] = args.old_padding and i % 2 == 1
            r = ev.evaluate(str(task), source, name=f"order-{i}")
            print(f"run {i} ({'old' if _mode['old'] else 'this'} padding): {r.verdict} {r.speedup}", flush=True)
    report("this padding", _gaps[False])
    if args.old_padding:
        report("old padding", _gaps[True])


if __name__ == "__main__":
    main()
