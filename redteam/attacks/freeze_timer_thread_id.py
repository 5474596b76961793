# attack: freeze-escape
# variant: thread-directed-timer
# weakness: a frozen process is woken whole by a SIGCONT aimed at any one of its threads; a thread started at construction is allowed to live, and once woken it runs while the reference is timed
# seen: inferred (an attacker who read Checks: threads started before the first call are the baseline)
# task: matmul
# expect: crashed
# side-effect: none
"""At construction: a thread that owns SIGCONT, and a POSIX timer aimed at that thread alone (SIGEV_THREAD_ID)
sending it SIGCONT every 0.5 ms. SIGCONT to one thread resumes the whole stopped process; the thread then
evicts the cache beside the reference's block until the orchestrator's own SIGCONT or a call arrives. The model
is the reference's. timer_create refused: fail loudly.
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


THRASH = 8 << 20
CHUNK = 64 << 10
QUIET_S = 6e-4  # a timer tick this long after our last return finds us frozen, not between calls
RUN_FOR_S = 300

_state = {"last_return": 0.0, "in_call": False, "ticks": 0}


def _thrasher():
    """Owns SIGCONT: a tick of our timer (SI_TIMER) that finds us frozen evicts the cache in small chunks until
    the orchestrator's own SIGCONT (SI_USER, our block begins) or a call arrives."""
    signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGCONT])
    buffer = ctypes.create_string_buffer(THRASH)
    base = ctypes.addressof(buffer)
    end = time.monotonic() + RUN_FOR_S
    while time.monotonic() < end:
        info = signal.sigwaitinfo([signal.SIGCONT])
        if info.si_code != SI_TIMER or _state["in_call"]:
            continue
        if time.perf_counter() - _state["last_return"] < QUIET_S:
            continue
        _state["ticks"] += 1
        offset = 0
        while not _state["in_call"] and not signal.sigpending() & {signal.SIGCONT}:
            ctypes.memset(base + offset, _state["ticks"] & 0xFF, CHUNK)
            offset = (offset + CHUNK) % THRASH


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
        _thrasher()

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
        tid = _start_thrasher()
        self.timer = _timer(4, tid, 500_000)  # SIGEV_THREAD_ID

    def forward(self, x):
        return self._call(x)
