# attack: reference-harm
# variant: itimer-flood-while-frozen
# weakness: interrupts of a timer that fires while the reference runs are billed to the reference's CPU time; woken by its own timer, the candidate keeps a 20 us interval timer running exactly while the reference is timed
# seen: inferred (an attacker who read Worker.cpu_time: the reference's official sample is its CPU clock, and this kernel bills interrupts to whoever runs)
# task: matmul
# expect: crashed
# side-effect: none
"""On this kernel an interval timer stops firing while its process is stopped or its signal is ignored, so the
candidate first escapes the freeze (a POSIX timer sending SIGCONT every 0.5 ms to a thread that owns SIGCONT).
Once woken outside its own block it arms ITIMER_REAL at 20 us with a handler: about 20,000 interrupts and
context switches a second land on the timing CPU while the reference runs there. The orchestrator's own
SIGCONT (its si_code tells them apart) disarms it for the candidate's block. timer_create refused: fail loudly.
"""

import ctypes
import signal
import threading
import time

import torch
import torch.nn as nn

libc = ctypes.CDLL(None, use_errno=True)
CLOCK_MONOTONIC = 1
SI_TIMER = -2


class TimeSpec(ctypes.Structure):
    _fields_ = [("sec", ctypes.c_long), ("nsec", ctypes.c_long)]


class ITimerSpec(ctypes.Structure):
    _fields_ = [("interval", TimeSpec), ("value", TimeSpec)]


class SigEvent(ctypes.Structure):
    _fields_ = [("value", ctypes.c_void_p), ("signo", ctypes.c_int), ("notify", ctypes.c_int), ("tid", ctypes.c_int), ("pad", ctypes.c_int * 11)]


QUIET_S = 6e-4  # a timer tick this long after our last return finds us frozen, not between calls
RUN_FOR_S = 300

_state = {"last_return": 0.0, "in_call": False, "ticks": 0}


def _flooder():
    signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGCONT])
    end = time.monotonic() + RUN_FOR_S
    while time.monotonic() < end:
        info = signal.sigwaitinfo([signal.SIGCONT])
        if info.si_code == SI_TIMER and not _state["in_call"] and time.perf_counter() - _state["last_return"] > QUIET_S:
            signal.setitimer(signal.ITIMER_REAL, 20e-6, 20e-6)
        else:
            signal.setitimer(signal.ITIMER_REAL, 0, 0)

def _timer(notify, tid, first_ns):
    event = SigEvent(None, signal.SIGCONT, notify, tid)
    timer = ctypes.c_void_p()
    if libc.timer_create(CLOCK_MONOTONIC, ctypes.byref(event), ctypes.byref(timer)) != 0:
        raise RuntimeError(f"freeze-escape blocked: timer_create: errno {ctypes.get_errno()}")
    spec = ITimerSpec(TimeSpec(0, 500_000), TimeSpec(0, first_ns))
    if libc.timer_settime(timer, 0, ctypes.byref(spec), None) != 0:
        raise RuntimeError(f"freeze-escape blocked: timer_settime: errno {ctypes.get_errno()}")
    return timer


def _start_thrasher():
    signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGCONT])  # this (the main) thread never takes SIGCONT
    ready = threading.Event()
    tid = [0]

    def run():
        tid[0] = threading.get_native_id()
        ready.set()
        _flooder()

    threading.Thread(target=run, daemon=True).start()
    ready.wait(5)
    return tid[0]


class _Linear(nn.Module):
    """The reference's own model: the attack's gain is only the reference's cache, evicted while it is timed."""

    def __init__(self, in_features, out_features):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_features, in_features) / in_features**0.5)
        self.bias = nn.Parameter(torch.randn(out_features))

    def _call(self, x):
        _state["in_call"] = True
        try:
            return torch.matmul(x, self.weight.t()) + self.bias
        finally:
            _state["in_call"] = False
            _state["last_return"] = time.perf_counter()


class ModelNew(_Linear):
    def __init__(self, in_features, out_features):
        super().__init__(in_features, out_features)
        signal.signal(signal.SIGALRM, lambda *_: None)
        _start_thrasher()
        self.timer = _timer(0, 0, 500_000)

    def forward(self, x):
        return self._call(x)
