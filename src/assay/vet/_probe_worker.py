"""Probe worker: `python -m assay.vet._probe_worker`. TRUSTED: runs task code only, never a candidate.

Reads one JSON job per line on stdin and answers one JSON line per job on stdout. torch is imported once,
here; each job runs in a child forked from this process (about 8 ms instead of 1.5 s for a fresh
interpreter), so one task's globals, RNG state, allocator contents or crash never reach the next one.
A child announces stages with deadlines; a child that overruns one is killed and the answer says in which
stage, which is how a reference call that takes minutes is reported in seconds.

Answer: the child's result dict (plus `max_rss_bytes`, the child's peak resident memory), or
`{"failure": "deadline" | "crash", "stage": ..., "detail": ...}`.
"""

from __future__ import annotations

import json
import os
import select
import signal
import sys
import time
from typing import Any

import torch

from assay.vet._probe_checks import run_check, run_time
from assay.vet._probe_runtime import ProbeFailure, Reporter, describe
from assay.vet._probe_shrink import run_shrink

_JOBS = {"check": run_check, "time": run_time, "shrink": run_shrink}


def _child(job: dict[str, Any], fd: int) -> None:
    # The parent never ran an op, so the OpenMP pool does not exist yet and forking was safe; one thread
    # from here on, as the evaluator times the reference.
    torch.set_num_threads(1)
    report = Reporter(fd)
    try:
        result = _JOBS[job["kind"]](job, report)
    except ProbeFailure as exc:
        result = {"reason": exc.code, "message": exc.message}
    except Exception as exc:  # a bug here, or task code failing somewhere unforeseen: report, do not hang
        result = {"failure": "error", "stage": "", "detail": describe(exc)}
    report.result(result)


def _watch(pid: int, fd: int, timeout_s: float) -> dict[str, Any]:
    """Follow a child's progress lines until its result, its death, or a missed deadline."""
    job_deadline = time.monotonic() + timeout_s
    deadline, stage, buf = job_deadline, "start", b""
    result: dict[str, Any] | None = None
    while result is None:
        wait = deadline - time.monotonic()
        if wait <= 0:
            os.kill(pid, signal.SIGKILL)
            os.wait4(pid, 0)
            return {"failure": "deadline", "stage": stage, "detail": "overran its deadline"}
        if not select.select([fd], [], [], wait)[0]:
            continue
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            break
        buf += chunk
        while b"\n" in buf and result is None:
            line, buf = buf.split(b"\n", 1)
            message = json.loads(line)
            if "result" in message:
                result = message["result"]
            else:
                stage, limit = message["progress"], message.get("deadline_s")
                deadline = job_deadline if limit is None else min(job_deadline, time.monotonic() + float(limit))
    _, status, usage = os.wait4(pid, 0)
    if result is not None:
        # Peak resident memory (Linux reports KiB): evidence that a shrink never built the full-size tensors.
        return {**result, "max_rss_bytes": usage.ru_maxrss * 1024}
    how = (
        f"signal {-os.waitstatus_to_exitcode(status)}"
        if os.WIFSIGNALED(status)
        else f"exit {os.waitstatus_to_exitcode(status)}"
    )
    return {"failure": "crash", "stage": stage, "detail": f"died ({how})"}


def run_job(job: dict[str, Any]) -> dict[str, Any]:
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: never returns into the loop below
        os.close(r)
        os.dup2(os.open(os.devnull, os.O_RDONLY), 0)  # task code must not read the next job off stdin
        code = 0
        try:
            _child(job, w)
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    os.close(w)
    try:
        return _watch(pid, r, float(job.get("timeout_s", 600.0)))
    finally:
        os.close(r)


def main() -> None:
    # Task code may print, and stdout is the answer channel: keep a private copy of it, point fd 1 at stderr.
    answers = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    # The first meta-device call loads torch's meta kernels (about a second); pay it once, here. Meta ops
    # compute nothing, so the OpenMP pool still does not exist when the children fork.
    with torch.device("meta"):
        torch.nn.Conv2d(2, 2, 3)(torch.nn.Linear(4, 4)(torch.empty(1, 2, 4, 4))).softmax(-1)
    for line in sys.stdin:
        if line.strip():
            answers.write(json.dumps(run_job(json.loads(line))) + "\n")


if __name__ == "__main__":
    main()
