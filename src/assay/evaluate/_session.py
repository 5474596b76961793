"""One evaluation: reference and candidate workers, interleaved rounds, every output checked.

Trusted side. This module never imports candidate code; it sees the candidate only as bytes in a memfd and
JSON on a pipe, and re-checks every claim from outside (outputs, thread counts, CPU and wall-clock time).
"""

from __future__ import annotations

import contextlib
import math
import os
import secrets
import shutil
import signal
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from assay.errors import SandboxError, TaskError, WorkerError, WorkerTimeout
from assay.evaluate._checks import Checks
from assay.evaluate._config import EvalConfig
from assay.evaluate._outcome import (
    Outcome,
    describe_process,
    from_error,
    from_exit,
    kill_all,
    status_text,
    stray_processes,
)
from assay.evaluate._result import Flag, Verdict
from assay.evaluate._workers import Worker
from assay.evaluate._zygote import Zygote
from assay.tasks import Task
from assay.worker import ProtocolError, tensor_nbytes

_ALIGN = 64
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


def _reported(reply: dict[str, Any], key: str = "times") -> float:
    """The sum of a worker's own call times; 0 where the reply is malformed (the checks reject it)."""
    times = reply.get(key)
    if not isinstance(times, list) or not all(isinstance(t, float | int) and math.isfinite(t) for t in times):
        return 0.0
    return float(sum(times))


def _merge(replies: list[dict[str, Any]]) -> dict[str, Any]:
    """One reply per call, joined into the block's: a list per key, one entry per call.

    A malformed per-call reply (a key missing or not a list) contributes None, so the block fails the checks
    instead of breaking trusted code; a per-call error is passed on whole.
    """
    merged: dict[str, Any] = {"times": [], "host_times": [], "outputs": []}
    for reply in replies:
        if "error" in reply:
            return reply
        for key, values in merged.items():
            got = reply.get(key)
            values.extend(got if isinstance(got, list) else [None])
    return merged


def _input_span(specs: list[dict[str, Any]]) -> tuple[int, int] | None:
    """The bytes of one call's input tensors in the channel (the generator lays them out contiguously)."""
    tensors = [s for s in specs if "offset" in s]
    if not tensors:
        return None
    return min(s["offset"] for s in tensors), max(s["offset"] + s["nbytes"] for s in tensors)


def _trusted_death(worker: Worker) -> TaskError | WorkerError:
    """Why the generator or the reference is gone: the task's own code, or a signal sent from outside."""
    status = worker.exit_status()
    if status is not None and os.WIFSIGNALED(status) and os.WTERMSIG(status) in _FROM_OUTSIDE:
        # A hangup, an interrupt or a termination sent to the whole job: not the task's fault.
        return WorkerError(f"the task's {worker.role} worker was {status_text(status)} from outside")
    return TaskError(f"the task's {worker.role} worker died running the task's code ({status_text(status)})")


def _align(n: int) -> int:
    return (n + _ALIGN - 1) // _ALIGN * _ALIGN


@dataclass(frozen=True)
class Block:
    """One side's block of calls as the orchestrator saw it: wall and CPU seconds, and what the worker said."""

    wall_s: float  # from the request to the reply, by the orchestrator's clock
    cpu_s: float  # CPU time of the worker's threads over the block, read from outside (Worker.cpu_time)
    inner_s: float  # the sum of the times the worker reported for its calls


@dataclass(frozen=True)
class Round:
    """One interleaved round: k calls on the reference and k on the candidate, on the same fresh inputs.

    The official samples `ref_s` and `cand_s` are measured by the orchestrator, never by the workers. On the
    CPU they are the worker's CPU time over the block: on a machine that is not quiet, wall time adds every
    wait for a CPU that another process holds (milliseconds per wake-up), which no number of rounds cancels,
    while CPU time counts only what the worker itself ran. On CUDA they are wall time, since the work runs on
    the device. Wall time is kept for the off-CPU cross-check, the reported times for the clock cross-check
    (a candidate can tamper with its own clock, never with ours).
    """

    calls: int
    ref: Block
    cand: Block
    ref_first: bool
    cpu_clock: bool

    @property
    def ref_s(self) -> float:
        return self.ref.cpu_s if self.cpu_clock else self.ref.wall_s

    @property
    def cand_s(self) -> float:
        return self.cand.cpu_s if self.cpu_clock else self.cand.wall_s


class Session:
    def __init__(self, task: Task, source: str, config: EvalConfig, zygote: Zygote) -> None:
        self.task = task
        self.source = source
        self.config = config
        self.zygote = zygote
        self.deadline = time.monotonic() + config.timeout_s
        self.rng = np.random.default_rng(secrets.randbits(128))
        self.isolation: dict[str, Any] = {}
        self.init_inputs: list[Any] = []
        self.out_nbytes: dict[tuple[tuple[str, int], ...], int] = {}
        self.ref_call_s = 0.0
        self.checks: Checks | None = None  # once the candidate is constructed
        self.threads_after = 0  # most candidate threads alive after a call of the current block
        self.at_return: list[memoryview] = []  # the current block's outputs, read as each call returned
        self.call_bytes = 0  # input and output bytes of one call at the default sizes
        self.host_gaps: list[float] = []  # candidate host time minus sample time, per round (CUDA: side streams)
        self.gen: Worker | None = None
        self.ahead: tuple[dict[str, int] | None, int] | None = None  # the inputs being generated ahead
        self.orders: list[bool] = []  # whether the reference goes first, for the rounds of the current pair
        self.ref: Worker | None = None
        self.cand: Worker | None = None
        self.scratches = [Path(tempfile.mkdtemp(prefix="assay-scratch-")) for _ in range(3)]
        self.buffers: dict[object, bytearray] = {}  # reused from round to round (see `_buffer`)
        self.affinity = os.sched_getaffinity(0)  # of the calling thread; restored by close()

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

    # ---------------------------------------------------------------- workers
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
        timing_cpu = pinned_cpu(self.config)
        others = sorted(self.affinity - {timing_cpu})
        readable = [str(self.task.root)]
        gen_cpu = others[0] if others else None
        self.gen = Worker(
            self.zygote, "reference", self._sandbox_config(self.scratches[0], readable, None, gen_cpu), self.deadline
        )
        self.ref = Worker(
            self.zygote, "reference", self._sandbox_config(self.scratches[1], readable, None, timing_cpu), self.deadline
        )
        cand_config = self._sandbox_config(self.scratches[2], [], self.config.isolation, timing_cpu)
        self.cand = Worker(self.zygote, "candidate", cand_config, self.deadline)
        for worker, model in ((self.gen, False), (self.ref, True)):
            self._hello(worker)
            self._trusted_send(worker, self._task_load(weight_seed, model))
        for worker in (self.gen, self.ref):
            reply = self._trusted_receive(worker)
            if "error" in reply:
                raise TaskError(f"task {self.task.name} fails to load: {reply.get('type')}: {reply.get('detail')}")
            self.init_inputs = reply["init_inputs"]
        self.ref.stop()
        # The orchestrator joins the timing CPU: it sleeps while a call runs there, so the other CPU stays idle
        # during timed calls (a busy sibling CPU slows a call by up to 2x, measurement.md), and its wake-ups
        # stay local. Measured on matmul_task (6 runs each): the interval's half-width fell from 1.37% to
        # 1.09% and the wall time from 4.25 to 3.76 s. The generator, on the other CPU, works while we check.
        with contextlib.suppress(OSError):
            os.sched_setaffinity(0, {timing_cpu})

    def start_candidate(self, weight_seed: int) -> None:
        cand = self.cand
        assert cand is not None
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
        reply = self._candidate_request(request, limit, "while importing or constructing the candidate")
        if "error" in reply:
            raise from_error(reply)
        strays = stray_processes(cand.host_pid)
        if strays:
            kill_all(strays)
            evidence = ", ".join(describe_process(p) for p in strays[:3])
            raise Outcome(
                Verdict.FLAGGED,
                "the candidate left processes running after construction",
                (Flag(id="process-left-running", evidence=f"{len(strays)} process(es): {evidence}"),),
            )
        assert self.ref is not None
        self.checks = Checks(self.ref, cand, self.task.spec, cand.thread_count())
        cand.stop()

    def _trusted_request(
        self, worker: Worker, request: dict[str, Any], deadline: float | None = None
    ) -> dict[str, Any]:
        """A request to the generator or the reference; their failure is the task's or ours, never a verdict.

        Raises:
            TaskError: the task's own code killed its worker (out of memory, a crash).
            WorkerTimeout: the evaluation's time ran out in trusted code.
        """
        self._trusted_send(worker, request)
        return self._trusted_receive(worker, deadline)

    def _trusted_send(self, worker: Worker, request: dict[str, Any]) -> None:
        try:
            worker.send(request)
        except BrokenPipeError:
            raise _trusted_death(worker) from None

    def _trusted_receive(self, worker: Worker, deadline: float | None = None) -> dict[str, Any]:
        try:
            return worker.receive(deadline or self.deadline)
        except ProtocolError as exc:
            if exc.timed_out:
                raise WorkerTimeout(f"the task's {worker.role} worker did not finish within --timeout") from None
            raise _trusted_death(worker) from None

    def _candidate_request(self, request: dict[str, Any], limit: float, when: str) -> dict[str, Any]:
        cand = self.cand
        assert cand is not None
        try:
            return cand.request(request, limit)
        except ProtocolError as exc:
            if exc.timed_out:
                cand.kill()
                raise Outcome(Verdict.TIMEOUT, f"the candidate did not finish {when} in time") from None
            if exc.eof:
                raise from_exit(cand.exit_status(), cand.killed, when) from None
            raise Outcome(
                Verdict.FLAGGED,
                "the candidate's worker broke the result protocol",
                (Flag(id="protocol-violation", evidence=str(exc)),),
            ) from None
        except BrokenPipeError:
            raise from_exit(cand.exit_status(), cand.killed, when) from None

    # ---------------------------------------------------------------- rounds
    def _generate(self, sizes: dict[str, int] | None, k: int) -> tuple[list[Any], int]:
        """Fresh inputs for k calls: those generated ahead for this round if they match, else new ones."""
        gen = self.gen
        assert gen is not None
        ahead, self.ahead = self.ahead, None
        reply = self._trusted_receive(gen) if ahead is not None else None
        if reply is None or ahead != (sizes, k):
            self._request_inputs(sizes, k)
            reply = self._trusted_receive(gen)
        if "error" in reply:
            raise TaskError(f"get_inputs() of task {self.task.name} failed: {reply.get('type')}: {reply.get('detail')}")
        return reply["calls"], int(reply["end"])

    def _request_inputs(self, sizes: dict[str, int] | None, k: int) -> None:
        gen = self.gen
        assert gen is not None
        seeds = [secrets.randbits(63) for _ in range(k)]
        self._trusted_send(gen, {"op": "gen", "seeds": seeds, "sizes": sizes, "offset": 0})

    def _generate_ahead(self, sizes: dict[str, int] | None, k: int) -> None:
        """Have the generator make the next round's inputs while this round's outputs are checked.

        Called once both sides' calls are over, so the generator (on the other CPU) never runs beside a
        timed call; the next round collects the reply before its first call. Its channel may be overwritten
        now: this round's inputs were copied out before the calls.
        """
        self._request_inputs(sizes, k)
        self.ahead = (sizes, k)

    def _feed(
        self,
        worker: Worker,
        calls: list[dict[str, Any]],
        data: memoryview,
        ask: Callable[[dict[str, Any]], dict[str, Any]],
        after: Callable[[dict[str, Any]], None] | None = None,
    ) -> tuple[list[dict[str, Any]], float]:
        """Run a block one call at a time: each call's inputs reach the worker's channel only when it starts.

        A block handed over whole would put the later calls' inputs within the candidate's reach during the
        first call, and one batched pass over them would pass for several fast calls (exploits.md
        cross-call-batch). `after` runs between a call's reply and the next call. The wall time is the sum of
        the calls' round trips, without our work between them.
        """
        replies: list[dict[str, Any]] = []
        wall = 0.0
        for call in calls:
            span = _input_span(call["inputs"])
            if span is not None:
                worker.write(span[0], data[span[0] : span[1]])
            t0 = time.perf_counter()
            reply = ask({"op": "run", "calls": [call], "capacity": worker.capacity})
            wall += time.perf_counter() - t0
            replies.append(reply)
            if "error" in reply:
                break
            if after is not None:
                after(call)
        return replies, wall

    def _run_reference(self, calls: list[dict[str, Any]], data: memoryview) -> tuple[dict[str, Any], Block]:
        ref = self.ref
        assert ref is not None
        # The same sequence as the candidate's (CPU clock, resume, feed, stop), so neither side's times differ.
        cpu0 = ref.cpu_time()
        ref.resume()
        replies, wall = self._feed(ref, calls, data, lambda r: self._trusted_request(ref, r))
        cpu = ref.cpu_time() - cpu0 if ref.stop_and_settle() else wall
        reply = _merge(replies)
        if "error" in reply or any(isinstance(o, dict) and "error" in o for o in reply["outputs"]):
            bad = reply if "error" in reply else next(o for o in reply["outputs"] if "error" in o)
            raise TaskError(f"the task's Model fails: {bad.get('type', bad.get('error'))}: {bad.get('detail')}")
        return reply, Block(wall, cpu, _reported(reply))

    def _run_candidate(self, calls: list[dict[str, Any]], data: memoryview) -> tuple[dict[str, Any], Block]:
        cand, checks = self.cand, self.checks
        assert cand is not None and checks is not None
        per_call = max(self.config.call_timeout_s, 50 * self.ref_call_s)
        self.at_return, self.threads_after = [], 0

        def ask(request: dict[str, Any]) -> dict[str, Any]:
            return self._candidate_request(request, min(self.deadline, time.monotonic() + per_call), "during a call")

        def capture(call: dict[str, Any]) -> None:
            # The output at its call's return, before the next call starts; read again once the candidate is
            # frozen (Checks.block). Threads still alive now outlived the call.
            buffer = self._buffer(("at-return", len(self.at_return)), call["out_nbytes"])
            self.at_return.append(buffer[: cand.read_into(buffer, call["out_offset"])])
            self.threads_after = max(self.threads_after, checks.settled_threads())

        # The CPU clock is read while the candidate is frozen: all it runs from here to the last reply counts.
        cpu0 = cand.cpu_time()
        cand.resume()
        replies, wall = self._feed(cand, calls, data, ask, capture)
        # Frozen, and off the CPU: only then is its CPU clock exact (a candidate thread that kept running
        # after the reply would otherwise hide up to a scheduler tick). Whatever ran after the reply counts
        # against it; if it cannot be brought off the CPU, the block's wall time is its sample.
        cpu = cand.cpu_time() - cpu0 if cand.stop_and_settle() else wall
        reply = _merge(replies)
        if "error" in reply:
            raise from_error(reply, "call")
        return reply, Block(wall, cpu, _reported(reply))

    def run_round(self, sizes: dict[str, int] | None, k: int) -> Round:
        """Fresh secret inputs for every call; both sides timed in random order; every output checked."""
        gen, ref, cand, checks = self.gen, self.ref, self.cand, self.checks
        assert gen is not None and ref is not None and cand is not None and checks is not None
        key = tuple(sorted((sizes or {}).items()))
        inputs, end = self._generate(sizes, k)
        data = self._buffer("inputs", end)
        if gen.read_into(data, 0) != end:
            raise WorkerError("the generator's channel holds fewer bytes than it reported writing")
        base = _align(end)
        out_nbytes = self.out_nbytes.get(key)
        # Room for the inputs and k outputs per side; while the output size is unknown (k is 1 then), a guess
        # that the reference's reply corrects before the candidate runs.
        room = base + 2 * k * _align(out_nbytes if out_nbytes is not None else end + (64 << 20))
        for worker in (ref, cand):
            worker.ensure_capacity(room)
        ref_first = out_nbytes is None or self._ref_goes_first()
        stride = _align(out_nbytes) if out_nbytes is not None else 0
        ref_calls = [{"inputs": s, "out_offset": base + i * stride, "out_nbytes": None} for i, s in enumerate(inputs)]
        if ref_first:
            ref_reply, ref_block = self._run_reference(ref_calls, data)
            out_nbytes = self._learn_output(key, ref_reply)
            stride = _align(out_nbytes)
            cand.ensure_capacity(base + 2 * k * stride)
        cand_base = base + k * stride
        assert out_nbytes is not None
        cand_calls = [
            {"inputs": s, "out_offset": cand_base + i * stride, "out_nbytes": out_nbytes} for i, s in enumerate(inputs)
        ]
        if sizes is None:
            self.call_bytes = max(self.call_bytes, end // k + out_nbytes)
        cand_reply, cand_block = self._run_candidate(cand_calls, data)
        if not ref_first:
            ref_reply, ref_block = self._run_reference(ref_calls, data)
        self._generate_ahead(sizes, k)  # a guess: most rounds are like the one before
        checks.inputs(data, inputs, sizes)  # first: a flag outranks an incorrect output
        checks.block(cand_reply, ref_reply, ref_calls, cand_calls, self.at_return, self.threads_after, sizes)
        self.host_gaps.append(_reported(cand_reply, "host_times") - cand_block.inner_s)
        return Round(k, ref_block, cand_block, ref_first, cpu_clock=self.config.device == "cpu")

    def _buffer(self, key: object, nbytes: int) -> memoryview:
        """A buffer of `nbytes` kept for the next round: a fresh 25 MB `bytes` per copy costs about 6,000 page
        faults (8-10 ms here), a reused one none."""
        buffer = self.buffers.get(key)
        if buffer is None or len(buffer) < nbytes:
            buffer = self.buffers[key] = bytearray(nbytes)
        return memoryview(buffer)[:nbytes]

    def _ref_goes_first(self) -> bool:
        """The order of a round's two sides: random, and balanced over each pair of rounds.

        The first side of a round runs about 1-2% slower than the second, whichever it is (measured on
        matmul_task: d = log(ref/cand) averaged +0.01 to +0.02 where the reference went first and as much
        below 0 where the candidate did). Random order alone cancels that only on average: an unequal count
        of each order moves the estimate by up to 0.2% (sd) at 100 rounds. In pairs it cancels exactly.
        """
        if not self.orders:
            first = bool(self.rng.random() < 0.5)
            self.orders = [not first, first]
        return self.orders.pop()

    def _learn_output(self, key: tuple[tuple[str, int], ...], reply: dict[str, Any]) -> int:
        first = reply["outputs"][0]
        nbytes = tensor_nbytes(first["dtype"], first["shape"])
        self.out_nbytes[key] = nbytes
        return nbytes

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
