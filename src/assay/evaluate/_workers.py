"""The orchestrator's handle on one worker: a command pipe, a reply pipe and a memfd for bulk bytes."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from typing import Any

from assay.evaluate._zygote import Zygote
from assay.worker import CANDIDATE_MESSAGE_CAP, TRUSTED_MESSAGE_CAP, recv, send


class Worker:
    """A reference or candidate worker forked by the zygote.

    `pid` is the zygote's child; `host_pid` is the process that runs the code (for a candidate in a pid
    namespace, the namespace's init), reported in its first message, before any candidate code exists.
    """

    def __init__(self, zygote: Zygote, role: str, config: dict[str, Any], deadline: float) -> None:
        cmd_r, self.cmd_w = os.pipe()
        self.reply_r, reply_w = os.pipe()
        self.data = os.memfd_create(f"assay-{role}", os.MFD_CLOEXEC)
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

    def send(self, message: dict[str, Any]) -> None:
        send(self.cmd_w, message)

    def receive(self, deadline: float) -> dict[str, Any]:
        return recv(self.reply_r, deadline=deadline, cap=self.cap)

    def request(self, message: dict[str, Any], deadline: float) -> dict[str, Any]:
        self.send(message)
        return self.receive(deadline)

    def read(self, offset: int, nbytes: int) -> bytes:
        data = os.pread(self.data, nbytes, offset)
        while len(data) < nbytes:
            more = os.pread(self.data, nbytes - len(data), offset + len(data))
            if not more:
                raise OSError(f"data channel holds fewer than {nbytes} bytes at offset {offset}")
            data += more
        return data

    def ensure_capacity(self, nbytes: int) -> None:
        """Grow the memfd (sparse: pages cost nothing until written); the worker maps the new size."""
        if nbytes > self.capacity:
            self.capacity = max(nbytes, 2 * self.capacity, 16 << 20)
            os.ftruncate(self.data, self.capacity)

    def peek(self, offset: int, nbytes: int) -> bytes:
        """Up to `nbytes` at `offset`, fewer if the channel is shorter (a candidate may not have written)."""
        return os.pread(self.data, nbytes, offset)

    def write(self, offset: int, data: bytes) -> None:
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

    def resume(self) -> None:
        if self.stopped:
            self.signal(signal.SIGCONT)
            self.stopped = False

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
        for fd in (self.cmd_w, self.reply_r, self.data):
            with contextlib.suppress(OSError):
                os.close(fd)
