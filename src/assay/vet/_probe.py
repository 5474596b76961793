"""The orchestrator's side of the probe worker: start it once, send jobs, read one JSON answer per job."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import time
from types import TracebackType
from typing import Any

from assay.errors import WorkerError, WorkerTimeout
from assay.evaluate._zygote import clean_environment

# Beyond the job's own deadline: time for the worker to kill a child and answer.
_GRACE_S = 30.0


class ProbeSession:
    """One probe worker process (torch imported once), reused for every job of a command."""

    def __init__(self) -> None:
        # The workers' environment: an allow-list (task code gets no API keys), one thread for every library
        # and fixed malloc thresholds, so that the times measured here are the ones an evaluation will see.
        env = clean_environment()
        env.update(OPENBLAS_NUM_THREADS="1")
        # Kept for the session's life and closed in close(): where task prints and worker tracebacks go.
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "assay.vet._probe_worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env=env,
            start_new_session=True,  # its own process group: close() takes any stray child down with it
        )

    def run(self, job: dict[str, Any], timeout_s: float = 600.0) -> dict[str, Any]:
        """Send one job and wait for its answer.

        Raises:
            WorkerError: the worker died or answered something that is not JSON.
            WorkerTimeout: no answer within the job's timeout plus a grace period.
        """
        assert self._proc.stdin is not None and self._proc.stdout is not None
        try:
            self._proc.stdin.write((json.dumps({**job, "timeout_s": timeout_s}) + "\n").encode())
            self._proc.stdin.flush()
        except BrokenPipeError:
            raise WorkerError(f"the probe worker exited: {self._stderr_tail()}") from None
        fd = self._proc.stdout.fileno()
        deadline = time.monotonic() + timeout_s + _GRACE_S
        while not select.select([fd], [], [], max(0.0, deadline - time.monotonic()))[0]:
            if time.monotonic() >= deadline:
                self.close()
                raise WorkerTimeout(f"the probe worker did not answer within {timeout_s + _GRACE_S:.0f} s")
        line = self._proc.stdout.readline()
        if not line:
            raise WorkerError(f"the probe worker exited: {self._stderr_tail()}")
        try:
            answer: dict[str, Any] = json.loads(line)
        except json.JSONDecodeError:
            raise WorkerError("the probe worker broke protocol (an answer that is not JSON)") from None
        return answer

    def _stderr_tail(self) -> str:
        self._stderr.seek(0)
        lines = self._stderr.read().decode(errors="replace").strip().splitlines()
        return lines[-1] if lines else "no output"

    def close(self) -> None:
        if self._proc.poll() is None:
            if self._proc.stdin is not None:
                self._proc.stdin.close()
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(self._proc.pid, signal.SIGKILL)
                self._proc.wait()
        self._stderr.close()

    def __enter__(self) -> ProbeSession:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
