"""Was the machine quiet while we measured? CPU time other processes took meanwhile.

On a small machine a busy neighbour roughly doubles the time of a torch op (docs/measurement.md 4.5): the two
vCPUs share a core. CPU-time samples leave out the time a worker waits for its CPU, but not that slowdown,
and bursts of it do not cancel out over a few dozen rounds. Interleaving keeps the comparison fair on
average, but the interval may no longer cover the error; the result then carries a warning, as pyperf warns
about unstable runs. This is about the machine, never about the candidate, so it is not an integrity flag.
`assay machine` uses the same count for its peaks: the load average lags by a minute, this does not.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable

_HZ = os.sysconf("SC_CLK_TCK")


def _busy_ticks() -> int:
    with open("/proc/stat") as f:
        fields = f.readline().split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields[:8])
    return user + nice + system + irq + softirq + steal


def _process_ticks(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])  # utime, stime


class Contention:
    """Measures, from now until `foreign_cpus()`, how many CPUs' worth of work came from other processes."""

    def __init__(self, ours: Iterable[int]) -> None:
        self._ours = list(ours)
        self._start = time.monotonic()
        self._busy = _busy_ticks()
        self._own = sum(_process_ticks(p) for p in self._ours)

    def foreign_cpus(self) -> float:
        elapsed = time.monotonic() - self._start
        if elapsed <= 0:
            return 0.0
        busy = _busy_ticks() - self._busy
        own = sum(_process_ticks(p) for p in self._ours) - self._own
        return max(0.0, (busy - own) / _HZ / elapsed)


BUSY_CPUS = 0.15  # other processes' work, in CPUs, from which a measurement is not to be trusted


def contention_warning(foreign: float, threshold: float = BUSY_CPUS) -> str | None:
    if foreign < threshold:
        return None
    return (
        f"other processes kept {foreign:.2f} CPUs busy while timing; on a small machine that can slow the timed "
        "code unevenly (shared cores and caches), so the speedup and its interval are less reliable: rerun on a "
        "quiet machine"
    )
