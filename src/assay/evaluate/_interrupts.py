"""Interrupts taken by one CPU, from /proc/interrupts: evidence of work done to a timed worker from outside.

Trusted side. A timer that fires while a process runs is serviced on its CPU, and on this kernel the time is
billed to whatever process was running: a candidate that could arm a timer flood for the time it is frozen
would inflate the reference's CPU time without touching it. The sandbox denies timers; this counter is the
check that does not depend on knowing the means: the interrupts the timing CPU took during each block.
"""

from __future__ import annotations

import time


class InterruptCounter:
    """The total of every per-CPU interrupt count for one CPU (timer, IPIs, devices)."""

    def __init__(self, cpu: int) -> None:
        self.cpu = cpu
        self.available = self.read() >= 0

    def read(self) -> int:
        """The CPU's interrupt total so far; -1 when /proc/interrupts cannot be read."""
        try:
            with open("/proc/interrupts", "rb") as f:
                header = f.readline().split()
                column = header.index(f"CPU{self.cpu}".encode()) + 1
                total = 0
                for line in f:
                    fields = line.split()
                    if len(fields) > column and fields[column].isdigit():
                        total += int(fields[column])
                return total
        except (OSError, ValueError):
            return -1


def cost_of_reading(cpu: int, reads: int = 20) -> float:
    """Seconds one read takes here (bench/eval_protocol.py prints it)."""
    counter = InterruptCounter(cpu)
    t0 = time.perf_counter()
    for _ in range(reads):
        counter.read()
    return (time.perf_counter() - t0) / reads
