"""The orchestrator's handle on one worker: a command pipe, a reply pipe and a memfd for bulk bytes."""

from __future__ import annotations

import contextlib
import fcntl
import math
import mmap
import os
import signal
import time
from typing import Any

from assay.evaluate._zygote import Zygote
from assay.worker import CANDIDATE_MESSAGE_CAP, TRUSTED_MESSAGE_CAP, recv_body, send

_STOPPED = frozenset("TtXZ")  # stopped (job control or tracing), or exiting: off the CPU for good
_RESUMING = signal.SIGCONT  # pending only if the worker blocks it; our own resume sends it


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _process_cpu_clock(pid: int) -> int:
    """The clock id of `pid`'s whole-process CPU clock: Linux's `clock_getcpuclockid`, which Python lacks.

    The encoding is the kernel's (include/linux/posix-timers.h): `(~pid << 3) | CPUCLOCK_SCHED`.
    """
    return ((~pid) << 3) | 2


class Worker:
    """A reference or candidate worker forked by the zygote.

    `pid` is the zygote's child; `host_pid` is the process that runs the code (for a candidate in a pid
    namespace, the namespace's init), reported in its first message, before any candidate code exists.
    """

    def __init__(self, zygote: Zygote, role: str, config: dict[str, Any], deadline: float) -> None:
        cmd_r, self.cmd_w = os.pipe()
        self.reply_r, reply_w = os.pipe()
        self.data = os.memfd_create(f"assay-{role}", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
        # The orchestrator reads the channel through a mapping (`view`). Had the worker shrunk its memfd, reading
        # the mapping past the new end would kill trusted code with SIGBUS: the memfd can only grow, and no one
        # can add or remove a seal (so the worker cannot forbid our writes either).
        fcntl.fcntl(self.data, fcntl.F_ADD_SEALS, fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_SEAL)
        self._map: mmap.mmap | None = None
        self.role = role
        self.zygote = zygote
        self.cap = CANDIDATE_MESSAGE_CAP if role == "candidate" else TRUSTED_MESSAGE_CAP
        try:
            self.pid = zygote.spawn(role, config, [cmd_r, reply_w, self.data], deadline)
        finally:
            os.close(cmd_r)
            os.close(reply_w)
        self.host_pid = self.pid
        self.capacity = 0
        self.stopped = False
        self.killed = False
        self.frozen_cpu: float | None = None  # the CPU clock when the worker was last frozen and settled
        self.layout: object = None  # the input layout the worker was last told (see Rounds._lay_out)

    def send(self, message: dict[str, Any]) -> None:
        send(self.cmd_w, message)

    def receive_body(self, deadline: float) -> bytes:
        """One message, unparsed: every reply is validated by the models of `assay.worker` before it is read."""
        return recv_body(self.reply_r, deadline=deadline, cap=self.cap)

    def view(self, offset: int, nbytes: int) -> memoryview:
        """`nbytes` of the channel at `offset`, in place (fewer past its end): compare, never keep.

        No copy: the checks compare 25 MB outputs in a few milliseconds where a `read` would first allocate and
        fill as many new bytes. When the channel has grown it is mapped anew; a view of the old mapping stays
        valid as long as it is referenced.
        """
        size = os.fstat(self.data).st_size
        if self._map is None or len(self._map) < min(size, offset + nbytes):
            if size == 0:
                return memoryview(b"")
            self._map = mmap.mmap(self.data, size, prot=mmap.PROT_READ)
        return memoryview(self._map)[offset : offset + nbytes]

    def read_into(self, buffer: memoryview, offset: int) -> int:
        """Copy the channel's bytes at `offset` into `buffer` (reused: no new pages to fault in); bytes copied."""
        done = 0
        while done < len(buffer):
            got = os.preadv(self.data, [buffer[done:]], offset + done)
            if got == 0:
                break
            done += got
        return done

    def ensure_capacity(self, nbytes: int) -> None:
        """Grow the memfd (sparse: pages cost nothing until written); the worker maps the new size."""
        if nbytes > self.capacity:
            self.capacity = max(nbytes, 2 * self.capacity, 16 << 20)
            os.ftruncate(self.data, self.capacity)

    def write(self, offset: int, data: bytes | memoryview) -> None:
        view = memoryview(data)
        done = 0
        while done < len(view):
            done += os.pwrite(self.data, view[done:], offset + done)

    def signal(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.host_pid, sig)

    def stop(self) -> None:
        """Freeze every thread of the worker: it cannot run while the other side is timed."""
        if not self.stopped:
            self.signal(signal.SIGSTOP)
            self.stopped = True

    def freeze(self, timeout: float = 0.2) -> bool:
        """Freeze the worker and wait until every thread is stopped; False if that did not happen in time.

        Linux adds a running thread's latest stretch of CPU time to its process's CPU clock only when the
        thread leaves the CPU (or at the next scheduler tick, milliseconds later); a thread of another
        process cannot be made to account it sooner. Once every thread is stopped, `cpu_time()` is exact and
        must not move again until `resume()`: the reading taken here is what `breach()` compares with.
        """
        self.stop()
        deadline = time.monotonic() + timeout
        settled = False
        while True:
            states = [state for state, _ in self._threads()]
            if all(state in _STOPPED for state in states):
                settled = True
                break
            if time.monotonic() > deadline:
                break
            os.sched_yield()
        # A thread shown as stopped may still be finishing its switch off the CPU, which adds its last stretch
        # to the clock a few microseconds later: wait for two equal readings before taking the baseline.
        self.frozen_cpu = self.cpu_time()
        for _ in range(50):
            time.sleep(50e-6)
            again = self.cpu_time()
            if again == self.frozen_cpu or math.isnan(again):
                break
            self.frozen_cpu = again
        return settled

    def breach(self) -> str | None:
        """Evidence that the frozen worker ran since `freeze()` (None: it did not). Read just before `resume()`.

        A frozen worker can be woken only by a signal it arranged itself (a timer delivering SIGCONT, say), so
        the proof is taken from outside: its CPU clock has not moved since the freeze, every thread is still
        stopped, and no signal arrived for it meanwhile.
        """
        if self.frozen_cpu is None:
            return None
        cpu = self.cpu_time()
        if cpu != self.frozen_cpu and not (math.isnan(cpu) and math.isnan(self.frozen_cpu)):
            return f"its CPU clock advanced by {(cpu - self.frozen_cpu) * 1e6:.1f} us while it was frozen"
        threads = self._threads()
        running = [f"thread {tid} in state {state}" for state, tid in threads if state not in _STOPPED]
        if running:
            return f"{', '.join(running[:3])} while it should have been frozen"
        pending = self._pending_signals()
        if pending:
            return f"signal(s) {', '.join(pending)} arrived for it while it was frozen"
        return None

    def _threads(self) -> list[tuple[str, str]]:
        """(state, thread id) of every thread of the worker, from /proc."""
        found = []
        try:
            tids = os.listdir(f"/proc/{self.host_pid}/task")
        except OSError:
            return []
        for tid in tids:
            try:
                with open(f"/proc/{self.host_pid}/task/{tid}/stat", "rb") as f:
                    found.append((f.read().rsplit(b")", 1)[1].split(maxsplit=1)[0].decode(), tid))
            except (OSError, IndexError):
                continue  # the thread exited
        return found

    def _pending_signals(self) -> list[str]:
        """Signals pending for the process or any of its threads, except the SIGCONT of our own resume."""
        mask = 0
        paths = [f"/proc/{self.host_pid}/status"] + [
            f"/proc/{self.host_pid}/task/{tid}/status" for _, tid in self._threads()
        ]
        for path in paths:
            try:
                with open(path) as f:
                    for line in f:
                        if line.startswith(("SigPnd:", "ShdPnd:")):
                            mask |= int(line.split()[1], 16)
            except (OSError, ValueError, IndexError):
                continue
        mask &= ~(1 << (_RESUMING - 1))
        return [_signal_name(n) for n in range(1, 65) if mask & (1 << (n - 1))]

    def resume(self) -> None:
        if self.stopped:
            self.frozen_cpu = None
            self.signal(signal.SIGCONT)
            self.stopped = False

    def cpu_time(self) -> float:
        """CPU seconds used so far by every thread of the worker, exited ones included (nanosecond precision).

        Read from outside through the process's POSIX CPU clock, so nothing in the worker can change it. Time
        spent waiting for a CPU that other processes hold is not in it, which is what makes it the official
        sample on a machine that is not quiet (see `Round`). Exact only while no thread of the worker is on a
        CPU (`freeze`). NaN once the worker is gone.
        """
        try:
            return time.clock_gettime(_process_cpu_clock(self.host_pid))
        except OSError:
            return math.nan

    def thread_count(self) -> int:
        try:
            return len(os.listdir(f"/proc/{self.host_pid}/task"))
        except OSError:
            return 0

    def kill(self) -> None:
        self.killed = True
        for pid in {self.host_pid, self.pid}:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def exit_status(self, timeout: float = 2.0) -> int | None:
        return self.zygote.wait_exit(self.pid, time.monotonic() + timeout)

    def close(self) -> None:
        """Kill the worker (a no-op if it is gone) and release the channel."""
        self.kill()
        self.exit_status()
        self._map = None  # unmapped once no view refers to it
        for fd in (self.cmd_w, self.reply_r, self.data):
            with contextlib.suppress(OSError):
                os.close(fd)
