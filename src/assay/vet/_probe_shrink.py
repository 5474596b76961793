"""Shrinking a KernelBench problem until one reference call fits a time and memory budget (probe child).

The chain of candidate sizes halves one size constant at each step: the one shrunk least so far relative to
its original value, so that every constant is divided by about the same factor and the problem keeps its
shape ratios (within 2x), and never below its floor (`size_floor`: batch 8, other extents 64, or the
original when smaller), so that a shrunk problem still does the kind of work it was written to measure.
Memory is estimated on the meta device (no allocation, so a 6 GB problem costs nothing to look at); time is
measured for real, but
only on configurations whose memory already fits, starting from a small probe and predicting the others
from it: a call's work is close to proportional to the product of its size constants (elementwise,
reductions, matmul, conv), so t(config) ~ t(probe) * work(config) / work(probe). Every prediction that
picks a configuration is checked by a real measurement before it is returned.
"""

from __future__ import annotations

import gc
import math
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from assay.tasks import apply_sizes, find_size_constants, size_floor
from assay.vet._probe_runtime import (
    Footprint,
    Reporter,
    build,
    call,
    load_module,
    make_inputs,
    median_call_s,
    meta_footprint,
)

# Constants under 8 are likely axes (`dim = 1`) or small structural numbers, and not worth shrinking.
MIN_SHRINKABLE = 8
# The first real run happens at or under this footprint: small enough to be quick for nearly any op.
PROBE_BYTES = 32 << 20
# Without meta support, probe where the product of the sizes is at most this (about a million elements).
PROBE_WORK = 1 << 20


@dataclass
class Planner:
    module: ModuleType
    base: dict[str, int]
    report: Reporter
    chain: list[dict[str, int]] = field(default_factory=list)
    prints: list[Footprint | None] = field(default_factory=list)
    blocked: set[str] = field(default_factory=set)
    measured: dict[int, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.floors = {n: size_floor(n, v) for n, v in self.base.items()}
        self.chain.append(dict(self.base))
        self.prints.append(self._footprint(self.base))
        self.meta_ok = self.prints[0] is not None
        self.meta_forward = self.meta_ok and self.prints[0] is not None and self.prints[0].out_shape is not None

    def _footprint(self, sizes: dict[str, int]) -> Footprint | None:
        apply_sizes(self.module, sizes)
        return meta_footprint(self.module)

    def work(self, i: int) -> float:
        return float(math.prod(self.chain[i].values()))

    def memory(self, i: int) -> int | None:
        fp = self.prints[i]
        return fp.nbytes if fp is not None else None

    def ensure(self, i: int) -> bool:
        """Extend the chain to index i by halving; False once every constant is at its floor or blocked."""
        while len(self.chain) <= i:
            last = self.chain[-1]
            names = [
                n
                for n, v in last.items()
                if self.base[n] >= MIN_SHRINKABLE and v > self.floors[n] and n not in self.blocked
            ]
            if not names:
                return False
            # The least shrunk relative to its original, then the largest; max() keeps the first defined of equals.
            name = max(names, key=lambda n: (last[n] / self.base[n], last[n]))
            trial = {**last, name: max(self.floors[name], last[name] // 2)}
            fp = self._footprint(trial)
            # A halving that breaks construction (channels no longer divisible by groups) or a forward that
            # worked on meta before is a constraint: keep this constant where it is, halve the others.
            if self.meta_ok and (fp is None or (self.meta_forward and fp.out_shape is None)):
                self.blocked.add(name)
                continue
            self.chain.append(trial)
            self.prints.append(fp)
        return True

    def measure(self, i: int, target_s: float) -> float:
        if i in self.measured:
            return self.measured[i]
        apply_sizes(self.module, self.chain[i])
        self.report.stage("shrink-build", deadline_s=120.0)
        model, inputs = build(self.module, 0), make_inputs(self.module, 1)
        self.report.stage("shrink-call", deadline_s=max(30.0, 20 * target_s))
        seconds = call(model, inputs)[1]
        # Far over the target, one call says enough. Otherwise a second, warm call; the faster of the two,
        # since a busy neighbour only ever adds time. Tiny calls get a median: their noise is relative.
        if seconds <= 2 * target_s:
            seconds = min(seconds, call(model, inputs)[1])
            if seconds < 0.01:
                seconds = median_call_s(model, inputs, budget_s=0.05)
        del model, inputs
        gc.collect()
        self.measured[i] = seconds
        return seconds

    def first_fitting_memory(self, budget: int) -> int | None:
        i = 0
        while (mem := self.memory(i)) is not None and mem > budget:
            if not self.ensure(i + 1):
                return None
            i += 1
        return i

    def probe_index(self, lo: int) -> int:
        i = lo
        while self.ensure(i + 1):
            mem = self.memory(i)
            small = mem <= PROBE_BYTES if mem is not None else self.work(i) <= PROBE_WORK
            if small:
                break
            i += 1
        return i

    def fit_time(self, target_s: float, lo: int) -> tuple[int, bool]:
        """The smallest index >= lo (the largest sizes) measured within `target_s`; (last, False) if none."""
        if not any(j >= lo for j in self.measured):
            self.measure(self.probe_index(lo), target_s)
        while True:
            fits = [j for j, t in self.measured.items() if j >= lo and t <= target_s]
            slow = [j for j, t in self.measured.items() if j >= lo and t > target_s]
            if fits:
                best = min(fits)
                floor = max([s for s in slow if s < best], default=lo - 1)
                ratio = self.measured[best] / self.work(best)
                bigger = [j for j in range(floor + 1, best) if ratio * self.work(j) <= 0.9 * target_s]
                if not bigger:
                    return best, True
                self.measure(min(bigger), target_s)
                continue
            s = max(slow)
            ratio = self.measured[s] / self.work(s)
            j = s + 1
            while self.ensure(j) and ratio * self.work(j) > 0.8 * target_s:
                j += 1
            if not self.ensure(j):
                return s, False
            self.measure(j, target_s)


def run_shrink(job: dict[str, Any], report: Reporter) -> dict[str, Any]:
    """Job `shrink`: the sizes a call needs to fit; keeps the original sizes if they fit `keep_within_s`."""
    with open(job["task_file"]) as f:
        base = find_size_constants(f.read())
    module = load_module(job["task_file"])
    target_s, keep_s = float(job["time_budget_s"]), job.get("keep_within_s")
    planner = Planner(module, base, report)
    lo = planner.first_fitting_memory(int(job["memory_budget_bytes"]))
    if lo is None:
        i, fits = len(planner.chain) - 1, False
    elif lo == 0 and keep_s is not None and planner.fit_time(float(keep_s), 0) == (0, True):
        i, fits = 0, True
    else:
        i, fits = planner.fit_time(target_s, lo)
    sizes = {n: v for n, v in planner.chain[i].items() if v != base[n]}
    return {
        "sizes": sizes,
        "constants": base,
        "fits": fits,
        "reference_s": planner.measured.get(i),
        "memory_bytes": planner.memory(i),
        "measured": len(planner.measured),
        "meta": planner.meta_ok,
        "steps": len(planner.chain) - 1,
    }
