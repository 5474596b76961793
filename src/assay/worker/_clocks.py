"""How a worker times one call, on the CPU or on a CUDA device. Runs inside the sandbox.

Both clocks are bound before any candidate code is imported. Each returns the sample time and the host
time around the whole measurement, which the orchestrator cross-checks.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import torch

_clock = time.perf_counter
_process_time = time.process_time
_thread_time = time.thread_time


def _cpu_clock() -> float:
    """The process's CPU time, exact to the nanosecond.

    Under RLIMIT_CPU the kernel serves the process clock from a total that it updates only at scheduler
    ticks (4 ms here); reading this thread's own clock first makes it add the running stretch now.
    """
    _thread_time()
    return _process_time()


_TENSOR = torch.Tensor
_contiguous = torch.Tensor.contiguous

Measured = tuple[Any, float, float]  # (output, sample seconds, host seconds)


class CpuClock:
    """The process's CPU time around the call and `contiguous()`: the same clock the orchestrator reads from
    outside for the official sample, so the two agree whatever other processes do to the wall time."""

    def measure(self, fn: Callable[..., Any], args: list[Any]) -> Measured:
        t0 = _cpu_clock()
        out = fn(*args)
        if type(out) is _TENSOR:
            out = _contiguous(out)
        t1 = _cpu_clock()
        return out, t1 - t0, t1 - t0


class CudaClock:
    """CUDA events around the call, with L2 flushed before and the whole device synchronized after.

    Written to the protocol of docs/measurement.md 1.2 (Triton's do_bench, KernelBench): a 256 MiB buffer is
    zeroed before each call so every call starts with a cold L2 (larger than any current GPU's L2), outside
    the event pair. `torch.cuda.synchronize()` waits for every stream before the end event is read, so work a
    candidate pushes onto a side stream is finished before the call counts as done; it shows up in the host
    time but not in the events of the current stream, which the orchestrator compares (docs/exploits.md
    `side-stream`). Not yet run on a GPU here: no GPU was available where this was written.
    """

    FLUSH_BYTES = 256 << 20

    def __init__(self, device: str) -> None:
        self.device = torch.device(device)
        self._flush = torch.empty(self.FLUSH_BYTES // 4, dtype=torch.int32, device=self.device)
        self._synchronize = torch.cuda.synchronize
        self._event = torch.cuda.Event

    def measure(self, fn: Callable[..., Any], args: list[Any]) -> Measured:
        self._flush.zero_()
        self._synchronize()
        start = self._event(enable_timing=True)  # type: ignore[no-untyped-call]
        end = self._event(enable_timing=True)  # type: ignore[no-untyped-call]
        h0 = _clock()
        start.record()
        out = fn(*args)
        if type(out) is _TENSOR:
            out = _contiguous(out)
        end.record()
        self._synchronize()
        h1 = _clock()
        elapsed_ms: float = start.elapsed_time(end)
        return out, elapsed_ms / 1e3, h1 - h0


def clock_for(device: str) -> CpuClock | CudaClock:
    return CudaClock(device) if device.startswith("cuda") else CpuClock()
