"""One evaluation's workers: the generator, two reference twins and the candidate, from start to close.

Trusted side. This module never imports candidate code; it sees the candidate only as bytes in its memory and
on a pipe (`Exchange` validates every reply before a field of it is read).
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

from assay.errors import SandboxError, TaskError
from assay.evaluate._checks import Checks
from assay.evaluate._compile_cache import Lent
from assay.evaluate._config import EvalConfig
from assay.evaluate._outcome import (
    describe_process,
    flag,
    from_error,
    kill_all,
    stray_processes,
)
from assay.evaluate._requests import Exchange, protocol_violation
from assay.evaluate._workers import Worker
from assay.evaluate._zygote import Zygote
from assay.tasks import Task
from assay.worker import (
    Failure,
    Hello,
    LoadCandidate,
    LoadTask,
    ProtocolError,
    parse_hello,
    parse_ready,
    parse_task_ready,
)

_FROM_OUTSIDE = (signal.SIGHUP, signal.SIGINT, signal.SIGTERM)  # what a terminal or a job manager sends


def pinned_cpu(config: EvalConfig) -> int:
    """The CPU the timed workers run on: the configured one, else the highest this process may use."""
    return config.cpu if config.cpu is not None else max(os.sched_getaffinity(0))


def gpu_devices() -> list[str]:
    """The NVIDIA device nodes a CUDA worker must open (docs/sandbox.md 7)."""
    nodes = [f"/dev/{n}" for n in os.listdir("/dev") if n.startswith("nvidia")] if os.path.isdir("/dev") else []
    return sorted(n for n in nodes if not os.path.isdir(n)) + (
        ["/dev/nvidia-caps"] if os.path.isdir("/dev/nvidia-caps") else []
    )


class Session:
    """The workers of one evaluation and the requests to them; `Rounds` runs the timed calls.

    The reference runs in two processes, its twins, which take the measured rounds in turn: a process's own
    speed (where its memory landed, its code's alignment) persists through a run, so that no number of rounds
    in one pair of workers removes it, and the twins' disagreement measures it within the evaluation
    (docs/evaluator.md, "Each process's own speed: reference twins").
    """

    def __init__(self, task: Task, source: str, config: EvalConfig, zygote: Zygote, lent: Lent | None = None) -> None:
        self.task = task
        self.lent = lent or Lent()  # compiled headers lent read-only to every worker (evaluate/_compile_cache.py)
        self.source = source
        self.config = config
        self.zygote = zygote
        self.deadline = time.monotonic() + config.timeout_s
        self.rng = np.random.default_rng(secrets.randbits(128))
        self.isolation: dict[str, Any] = {}
        self.init_inputs: list[Any] = []
        self.checks: Checks | None = None  # once the candidate is constructed
        self.gen: Worker | None = None
        self.refs: list[Worker] = []  # the reference twins (one when `config.reference_twins` is off)
        self.cand: Worker | None = None
        self.timing_cpu = pinned_cpu(config)
        self.scratches = [Path(tempfile.mkdtemp(prefix="assay-scratch-")) for _ in range(4)]
        self.affinity = os.sched_getaffinity(0)  # of the calling thread; restored by close()
        self.exchange = Exchange(self.deadline)

    @property
    def calls_checked(self) -> int:
        return self.checks.calls_checked if self.checks is not None else 0

    def own_pids(self) -> list[int]:
        """Every process of this evaluation: the orchestrator, the zygote, the workers and their relays."""
        pids = {os.getpid(), self.zygote.pid}
        for worker in (self.gen, *self.refs, self.cand):
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
            "readable": readable + self.lent.folders(),
            "compile_cache": self.lent.as_config(),
            "cpu": cpu,
            "require": require,
            "limits": asdict(self.config.limits),
            "devices": gpu_devices() if self.config.device != "cpu" else [],
        }

    def _hello(self, worker: Worker) -> Hello:
        """The first message, sent by the worker before any task or candidate code exists in it: trusted."""
        try:
            hello = parse_hello(worker.receive_body(min(self.deadline, time.monotonic() + 60)))
        except ProtocolError as exc:
            raise SandboxError(f"the {worker.role} worker's sandbox failed to start ({exc})") from None
        if isinstance(hello, Failure):
            raise SandboxError(hello.detail or "the sandbox failed to start")
        worker.host_pid = hello.pid
        return hello

    def _task_load(self, weight_seed: int, model: bool) -> LoadTask:
        return LoadTask(
            task_file=str(self.task.task_file),
            sizes=dict(self.config.sizes),
            extra_sizes=[dict(s) for s in self.task.spec.extra_sizes],
            weight_seed=weight_seed,
            model=model,
            device=self.config.device,
        )

    def start_reference(self, weight_seed: int) -> None:
        """The trusted generator and reference workers, sandboxed like the candidate (equal conditions).

        The candidate's worker is forked here too, so that all of them enter their sandboxes at once (about 35
        ms each); it receives the candidate only in `start_candidate`.
        """
        self.zygote.check_device(self.config.device, self.deadline)
        others = sorted(self.affinity - {self.timing_cpu})
        readable = [str(self.task.root)]
        gen_cpu = others[0] if others else None
        self.gen = Worker(
            self.zygote, "reference", self._sandbox_config(self.scratches[0], readable, None, gen_cpu), self.deadline
        )
        for scratch in self.scratches[1 : 3 if self.config.reference_twins else 2]:
            config = self._sandbox_config(scratch, readable, None, self.timing_cpu)
            self.refs.append(Worker(self.zygote, "reference", config, self.deadline))
        cand_config = self._sandbox_config(self.scratches[3], [], self.config.isolation, self.timing_cpu)
        self.cand = Worker(self.zygote, "candidate", cand_config, self.deadline)
        loads = [(self.gen, False), *((ref, True) for ref in self.refs)]
        for worker, model in loads:
            self._hello(worker)
            self.exchange.trusted_send(worker, self._task_load(weight_seed, model).model_dump())
        for worker, _ in loads:
            reply = self.exchange.trusted_reply(worker, parse_task_ready)
            if isinstance(reply, Failure):
                raise TaskError(f"task {self.task.name} fails to load: {reply.type}: {reply.detail}")
            self.init_inputs = list(reply.init_inputs)
        for ref in self.refs:
            ref.freeze()
        # The orchestrator joins the timing CPU: it sleeps while a call runs there, so the other CPU stays idle
        # during timed calls (a busy sibling CPU slows a call by up to 2x, docs/measurement.md), and its wake-ups
        # stay local. Measured on matmul_task (6 runs each): the interval's half-width fell from 1.37% to
        # 1.09% and the wall time from 4.25 to 3.76 s. The generator, on the other CPU, works while we check.
        with contextlib.suppress(OSError):
            os.sched_setaffinity(0, {self.timing_cpu})

    def start_candidate(self, weight_seed: int) -> None:
        cand = self.cand
        assert cand is not None and self.refs
        self.isolation = dict(self._hello(cand).isolation)
        limit = min(self.deadline, time.monotonic() + self.config.construct_timeout_s)
        request = LoadCandidate(
            source=self.source,
            init_inputs=self.init_inputs,
            weight_seed=weight_seed,
            mutates_inputs=self.task.spec.mutates_inputs,
            device=self.config.device,
        ).model_dump()
        body = self.exchange.candidate_exchange(cand, request, limit, "while importing or constructing the candidate")
        try:
            reply = parse_ready(body)
        except ProtocolError as exc:
            raise protocol_violation(str(exc)) from None
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

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.sched_setaffinity(0, self.affinity)
        for worker in (self.cand, *self.refs, self.gen):
            if worker is not None:
                if worker is self.cand:
                    kill_all(stray_processes(worker.host_pid))
                worker.close()
        for scratch in self.scratches:
            shutil.rmtree(scratch, ignore_errors=True)
