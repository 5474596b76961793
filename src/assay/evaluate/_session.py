"""One evaluation's workers: the generator, the reference and the candidate, from start to close.

Trusted side. This module never imports candidate code; it sees the candidate only as bytes in its memory and
on a pipe, and every reply of the candidate's worker is validated (`assay.worker.parse_ran`) before a field of
it is read: anything unexpected is a `protocol-violation` verdict, never an exception in trusted code.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from assay.errors import SandboxError, TaskError, WorkerError, WorkerTimeout
from assay.evaluate._checks import Checks
from assay.evaluate._config import EvalConfig
from assay.evaluate._outcome import (
    Outcome,
    describe_process,
    flag,
    from_error,
    from_exit,
    kill_all,
    status_text,
    stray_processes,
)
from assay.evaluate._result import Verdict
from assay.evaluate._workers import Worker
from assay.evaluate._zygote import Zygote
from assay.tasks import Task
from assay.worker import Failure, Layout, ProtocolError, Ran, Run, parse_laid_out, parse_ran, parse_ready

_FROM_OUTSIDE = (signal.SIGHUP, signal.SIGINT, signal.SIGTERM)  # what a terminal or a job manager sends


def pinned_cpu(config: EvalConfig) -> int:
    """The CPU both workers run on: the configured one, else the highest this process may use."""
    return config.cpu if config.cpu is not None else max(os.sched_getaffinity(0))


def gpu_devices() -> list[str]:
    """The NVIDIA device nodes a CUDA worker must open (sandbox.md 7)."""
    nodes = [f"/dev/{n}" for n in os.listdir("/dev") if n.startswith("nvidia")] if os.path.isdir("/dev") else []
    return sorted(n for n in nodes if not os.path.isdir(n)) + (
        ["/dev/nvidia-caps"] if os.path.isdir("/dev/nvidia-caps") else []
    )


def _trusted_death(worker: Worker) -> TaskError | WorkerError:
    """Why the generator or the reference is gone: the task's own code, or a signal sent from outside."""
    status = worker.exit_status()
    if status is not None and os.WIFSIGNALED(status) and os.WTERMSIG(status) in _FROM_OUTSIDE:
        # A hangup, an interrupt or a termination sent to the whole job: not the task's fault.
        return WorkerError(f"the task's {worker.role} worker was {status_text(status)} from outside")
    return TaskError(f"the task's {worker.role} worker died running the task's code ({status_text(status)})")


class Session:
    """The three workers of one evaluation and the requests to them; `Rounds` runs the timed calls."""

    def __init__(self, task: Task, source: str, config: EvalConfig, zygote: Zygote) -> None:
        self.task = task
        self.source = source
        self.config = config
        self.zygote = zygote
        self.deadline = time.monotonic() + config.timeout_s
        self.rng = np.random.default_rng(secrets.randbits(128))
        self.isolation: dict[str, Any] = {}
        self.init_inputs: list[Any] = []
        self.checks: Checks | None = None  # once the candidate is constructed
        self.gen: Worker | None = None
        self.ref: Worker | None = None
        self.cand: Worker | None = None
        self.timing_cpu = pinned_cpu(config)
        self.scratches = [Path(tempfile.mkdtemp(prefix="assay-scratch-")) for _ in range(3)]
        self.affinity = os.sched_getaffinity(0)  # of the calling thread; restored by close()
        self._next_id = 0

    @property
    def calls_checked(self) -> int:
        return self.checks.calls_checked if self.checks is not None else 0

    def own_pids(self) -> list[int]:
        """Every process of this evaluation: the orchestrator, the zygote, the workers and their relays."""
        pids = {os.getpid(), self.zygote.pid}
        for worker in (self.gen, self.ref, self.cand):
            if worker is not None:
                pids.update((worker.pid, worker.host_pid))
        return sorted(pids)

    def late(self, fraction: float) -> bool:
        """True when less than `fraction` of the whole time budget is left."""
        return self.deadline - time.monotonic() < fraction * self.config.timeout_s

    # ---------------------------------------------------------------- start
    def _sandbox_config(
        self, scratch: Path, readable: list[str], require: str | None, cpu: int | None
    ) -> dict[str, Any]:
        return {
            "scratch": str(scratch),
            "readable": readable,
            "cpu": cpu,
            "require": require,
            "limits": asdict(self.config.limits),
            "devices": gpu_devices() if self.config.device != "cpu" else [],
        }

    def _hello(self, worker: Worker) -> dict[str, Any]:
        """The first message, sent by the worker before any task or candidate code exists in it: trusted."""
        try:
            hello = worker.receive(min(self.deadline, time.monotonic() + 60))
        except ProtocolError as exc:
            raise SandboxError(f"the {worker.role} worker's sandbox failed to start ({exc})") from None
        if "error" in hello:
            raise SandboxError(str(hello.get("detail", "the sandbox failed to start")))
        worker.host_pid = int(hello["pid"])
        return hello

    def _task_load(self, weight_seed: int, model: bool) -> dict[str, Any]:
        return {
            "op": "load",
            "task_file": str(self.task.task_file),
            "sizes": dict(self.config.sizes),
            "extra_sizes": [dict(s) for s in self.task.spec.extra_sizes],
            "weight_seed": weight_seed,
            "model": model,
            "device": self.config.device,
        }

    def start_reference(self, weight_seed: int) -> None:
        """The trusted generator and reference workers, sandboxed like the candidate (equal conditions).

        The candidate's worker is forked here too, so that all three enter their sandboxes at once (about 35
        ms each); it receives the candidate only in `start_candidate`.
        """
        self.zygote.check_device(self.config.device, self.deadline)
        others = sorted(self.affinity - {self.timing_cpu})
        readable = [str(self.task.root)]
        gen_cpu = others[0] if others else None
        self.gen = Worker(
            self.zygote, "reference", self._sandbox_config(self.scratches[0], readable, None, gen_cpu), self.deadline
        )
        self.ref = Worker(
            self.zygote,
            "reference",
            self._sandbox_config(self.scratches[1], readable, None, self.timing_cpu),
            self.deadline,
        )
        cand_config = self._sandbox_config(self.scratches[2], [], self.config.isolation, self.timing_cpu)
        self.cand = Worker(self.zygote, "candidate", cand_config, self.deadline)
        for worker, model in ((self.gen, False), (self.ref, True)):
            self._hello(worker)
            self.trusted_send(worker, self._task_load(weight_seed, model))
        for worker in (self.gen, self.ref):
            reply = self.trusted_receive(worker)
            if "error" in reply:
                raise TaskError(f"task {self.task.name} fails to load: {reply.get('type')}: {reply.get('detail')}")
            self.init_inputs = reply["init_inputs"]
        self.ref.freeze()
        # The orchestrator joins the timing CPU: it sleeps while a call runs there, so the other CPU stays idle
        # during timed calls (a busy sibling CPU slows a call by up to 2x, measurement.md), and its wake-ups
        # stay local. Measured on matmul_task (6 runs each): the interval's half-width fell from 1.37% to
        # 1.09% and the wall time from 4.25 to 3.76 s. The generator, on the other CPU, works while we check.
        with contextlib.suppress(OSError):
            os.sched_setaffinity(0, {self.timing_cpu})

    def start_candidate(self, weight_seed: int) -> None:
        cand = self.cand
        assert cand is not None and self.ref is not None
        self.isolation = dict(self._hello(cand).get("isolation", {}))
        limit = min(self.deadline, time.monotonic() + self.config.construct_timeout_s)
        request = {
            "op": "load",
            "source": self.source,
            "init_inputs": self.init_inputs,
            "weight_seed": weight_seed,
            "mutates_inputs": self.task.spec.mutates_inputs,
            "device": self.config.device,
        }
        body = self._candidate_exchange(request, limit, "while importing or constructing the candidate")
        try:
            reply = parse_ready(body)
        except ProtocolError as exc:
            raise _protocol_violation(str(exc)) from None
        if isinstance(reply, Failure):
            raise from_error(reply)
        strays = stray_processes(cand.host_pid)
        if strays:
            kill_all(strays)
            evidence = ", ".join(describe_process(p) for p in strays[:3])
            raise flag(
                "process-left-running",
                f"{len(strays)} process(es): {evidence}",
                "the candidate left processes running after construction",
            )
        self.checks = Checks(cand, self.task.spec, cand.thread_count())
        cand.freeze()

    # ---------------------------------------------------------------- requests
    def trusted_send(self, worker: Worker, request: dict[str, Any]) -> None:
        try:
            worker.send(request)
        except BrokenPipeError:
            raise _trusted_death(worker) from None

    def trusted_receive(self, worker: Worker, deadline: float | None = None) -> dict[str, Any]:
        """A reply of the generator or the reference; their failure is the task's or ours, never a verdict.

        Raises:
            TaskError: the task's own code killed its worker (out of memory, a crash).
            WorkerTimeout: the evaluation's time ran out in trusted code.
        """
        try:
            return worker.receive(deadline or self.deadline)
        except ProtocolError as exc:
            raise self._trusted_failure(worker, exc) from None

    def _trusted_failure(self, worker: Worker, exc: ProtocolError) -> TaskError | WorkerError:
        if exc.timed_out:
            return WorkerTimeout(f"the task's {worker.role} worker did not finish within --timeout")
        if exc.eof:
            return _trusted_death(worker)
        return WorkerError(f"the {worker.role} worker broke the protocol: {exc}")

    def _id(self) -> int:
        self._next_id += 1
        return self._next_id

    def run_request(self, slot: int) -> Run:
        return Run(id=self._id(), slot=slot)

    def layout_request(self, calls: list[list[dict[str, Any]]], capacity: int) -> Layout:
        return Layout(id=self._id(), calls=calls, capacity=capacity)  # type: ignore[arg-type]

    def reference_layout(self, layout: Layout) -> None:
        ref = self.ref
        assert ref is not None
        self.trusted_send(ref, layout.model_dump())
        try:
            reply = parse_laid_out(ref.receive_body(self.deadline))
        except ProtocolError as exc:
            raise self._trusted_failure(ref, exc) from None
        if isinstance(reply, Failure):
            raise WorkerError(f"the reference worker failed to lay out its inputs: {reply.type}: {reply.detail}")

    def candidate_layout(self, layout: Layout, limit: float) -> None:
        body = self._candidate_exchange(layout.model_dump(), limit, "while laying out its inputs")
        try:
            reply = parse_laid_out(body)
        except ProtocolError as exc:
            raise _protocol_violation(str(exc)) from None
        if isinstance(reply, Failure):
            raise from_error(reply, "call")
        if reply.id != layout.id:
            raise _protocol_violation(f"the reply to layout {layout.id} answered {reply.id}")

    def reference_call(self, run: Run) -> Ran:
        """One call on the reference. Its reply is the task's own code speaking: a failure is the task's."""
        ref = self.ref
        assert ref is not None
        self.trusted_send(ref, run.model_dump())
        try:
            parsed = parse_ran(ref.receive_body(self.deadline))
        except ProtocolError as exc:
            raise self._trusted_failure(ref, exc) from None
        if isinstance(parsed, Failure):
            raise TaskError(f"the task's Model fails: {parsed.type}: {parsed.detail}")
        if parsed.id != run.id:
            raise WorkerError(f"the reference worker answered call {parsed.id} to call {run.id}")
        return parsed

    def candidate_call(self, run: Run, limit: float) -> Ran:
        """One call on the candidate: its reply validated, a failure turned into the verdict it deserves.

        Raises:
            Outcome: the candidate crashed, timed out, broke the protocol, or raised in the call.
        """
        body = self._candidate_exchange(run.model_dump(), limit, "during a call")
        try:
            reply = parse_ran(body)
        except ProtocolError as exc:
            raise _protocol_violation(str(exc)) from None
        if isinstance(reply, Failure):
            raise from_error(reply, "call")
        if reply.id != run.id:
            raise _protocol_violation(f"the reply to call {run.id} answered call {reply.id}")
        return reply

    def _candidate_exchange(self, request: dict[str, Any], limit: float, when: str) -> bytes:
        cand = self.cand
        assert cand is not None
        try:
            cand.send(request)
            return cand.receive_body(limit)
        except ProtocolError as exc:
            if exc.timed_out:
                cand.kill()
                raise Outcome(Verdict.TIMEOUT, f"the candidate did not finish {when} in time") from None
            if exc.eof:
                raise from_exit(cand.exit_status(), cand.killed, when) from None
            raise _protocol_violation(str(exc)) from None
        except BrokenPipeError:
            raise from_exit(cand.exit_status(), cand.killed, when) from None

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.sched_setaffinity(0, self.affinity)
        for worker in (self.cand, self.ref, self.gen):
            if worker is not None:
                if worker is self.cand:
                    kill_all(stray_processes(worker.host_pid))
                worker.close()
        for scratch in self.scratches:
            shutil.rmtree(scratch, ignore_errors=True)


def _protocol_violation(evidence: str) -> Outcome:
    return flag("protocol-violation", evidence, "the candidate's worker broke the result protocol")
