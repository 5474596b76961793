"""The orchestrator's handle on the zygote (see `assay.worker.zygote` for why it exists)."""

from __future__ import annotations

import atexit
import json
import os
import select
import socket
import subprocess
import sys
import tempfile
import time
from typing import Any

from assay.errors import ConfigError, WorkerError, WorkerTimeout

# The zygote's environment is an allow-list: API keys and other secrets in the orchestrator's environment
# must not reach any process a candidate is forked from.
_ENV_ALLOW = (
    "PATH",
    "HOME",
    "LANG",
    "LC_ALL",
    "LC_CTYPE",
    "TMPDIR",
    "PYTHONPATH",
    "VIRTUAL_ENV",
    "CUDA_VISIBLE_DEVICES",
)
_ENV_FIXED = {
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "PYTHONDONTWRITEBYTECODE": "1",
    # torch.cuda.is_available() must not initialise CUDA in the zygote, or forked workers cannot use it.
    "PYTORCH_NVML_BASED_CUDA_CHECK": "1",
    # glibc adapts its mmap threshold to the allocation history, so one process's large temporaries reuse heap
    # memory while another's page-fault on every call: timings of the same code jumped 2x between processes.
    # Fixed thresholds, inherited by every worker alike, make the allocator behave the same on both sides.
    "MALLOC_MMAP_THRESHOLD_": str(32 << 20),
    "MALLOC_TRIM_THRESHOLD_": str(1 << 40),
}


def clean_environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k in _ENV_ALLOW}
    env.update(_ENV_FIXED)
    return env


class Zygote:
    """A clean process with torch imported that forks workers; one can serve many evaluations."""

    def __init__(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115  (lives as long as the zygote; closed in close())
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "assay.worker.zygote", str(theirs.fileno())],
            pass_fds=[theirs.fileno()],
            env=clean_environment(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=self._stderr,
            cwd="/",
        )
        theirs.close()
        self._sock = ours
        self._exits: dict[int, int] = {}
        self._spawned: dict[int, int] = {}
        self._next_id = 0
        self._ready = False
        self._torch: tuple[str, str | None, int] = ("unknown", None, 0)  # version, CUDA version, CUDA devices
        self.pid = self._proc.pid

    def _stderr_tail(self) -> str:
        self._stderr.seek(0)
        lines = self._stderr.read().decode(errors="replace").strip().splitlines()
        return lines[-1] if lines else "no message"

    def _receive(self, deadline: float) -> dict[str, Any]:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([self._sock], [], [], left)[0]:
            raise WorkerTimeout("the zygote did not answer in time")
        data = self._sock.recv(1 << 16)
        if not data:
            raise WorkerError(f"the worker zygote died: {self._stderr_tail()}")
        message: dict[str, Any] = json.loads(data)
        if "exit" in message:
            self._exits[int(message["exit"])] = int(message["status"])
        elif "spawned" in message:
            self._spawned[int(message["spawned"])] = int(message["pid"])
        elif message.get("ready"):
            self._ready = True
            self._torch = (str(message.get("torch")), message.get("cuda"), int(message.get("cuda_devices") or 0))
        return message

    def wait_ready(self, deadline: float) -> None:
        """Block until torch is imported in the zygote (about 1.5 s after start).

        Raises:
            WorkerError: the zygote failed to start.
        """
        while not self._ready:
            self._receive(deadline)

    def check_device(self, device: str, deadline: float) -> None:
        """Refuse a device this torch cannot use, before any worker starts.

        Raises:
            ConfigError: `device` is CUDA and torch was built without it, or no such device is visible.
        """
        if device == "cpu":
            return
        self.wait_ready(deadline)
        version, cuda, count = self._torch
        if cuda is None:
            raise ConfigError(f"device {device!r} needs a CUDA build of torch; this one ({version}) has no CUDA")
        index = int(device.partition(":")[2] or 0)
        if index >= count:
            raise ConfigError(f"device {device!r}: {count} CUDA device(s) visible to torch {version}")

    def spawn(self, role: str, config: dict[str, Any], fds: list[int], deadline: float) -> int:
        """Fork a worker that receives `fds`; returns its pid (the zygote's child)."""
        self.wait_ready(deadline)
        self._next_id += 1
        request_id = self._next_id
        payload = json.dumps({"op": "spawn", "id": request_id, "role": role, "config": config}).encode()
        socket.send_fds(self._sock, [payload], fds)
        while request_id not in self._spawned:
            self._receive(deadline)
        return self._spawned.pop(request_id)

    def wait_exit(self, pid: int, deadline: float) -> int | None:
        """The wait status of a worker the zygote forked, or None if it is still running at `deadline`."""
        while pid not in self._exits:
            try:
                self._receive(deadline)
            except WorkerTimeout:
                return None
        return self._exits.pop(pid)

    def close(self) -> None:
        self._sock.close()
        if self._proc.poll() is None:
            self._proc.kill()
        self._proc.wait()
        self._stderr.close()

    def __enter__(self) -> Zygote:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_early: list[Zygote] = []


def start_early() -> None:
    """Start a zygote now, for the next `Evaluator` of this process to adopt.

    The command line calls this before its own imports (click, rich, pydantic: about 0.4 s), which then run
    while the zygote imports torch. An unadopted zygote is closed at exit.
    """
    if not _early:
        _early.append(Zygote())
        atexit.register(_close_early)


def adopt_early() -> Zygote | None:
    """The zygote `start_early` started, if no evaluator has taken it yet."""
    return _early.pop() if _early else None


def _close_early() -> None:
    while _early:
        _early.pop().close()
