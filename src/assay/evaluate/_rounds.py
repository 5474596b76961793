"""Interleaved rounds: k calls on each side, on the same fresh secret inputs, each side timed while the other
is frozen, every output copied out of the worker's memory at return and checked.

Trusted side. The official sample of a side is its worker's CPU time over the block, read from outside; the
frozen side must stay frozen (its CPU clock must not move, `Worker.breach`), and the timing CPU's interrupts
during each block are counted (`InterruptCounter`). The candidate cannot tell from the gaps between its
blocks whether the reference runs right after it: the orchestrator idles, before each candidate block, for as
long as the reference blocks it did not run since the candidate's last block would have taken.

The reference twins (`Session.refs`) take the measured rounds in turn, from a twin drawn at random; both run in
the calibration and warm-up rounds, so that each is warm before its first measured round, and the first alone
runs the extra sizes. They are trusted: which twin ran a round is recorded in the round, and the estimator
compares them (assay.timing.twin_check).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import Any

from assay.errors import TaskError, WorkerError
from assay.evaluate._checks import Expected, matches
from assay.evaluate._interrupts import InterruptCounter
from assay.evaluate._memory import read_memory
from assay.evaluate._outcome import flag, from_exit
from assay.evaluate._round import Block, Round, Side, input_span, stand_ins
from assay.evaluate._session import Session
from assay.evaluate._workers import Worker
from assay.timing import Step
from assay.worker import Failure, Generate, Layout, OutputProblem, Ran, Run, parse_generated


class Rounds:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.expected: dict[tuple[tuple[str, int], ...], Expected] = {}
        self.buffers: dict[object, bytearray] = {}  # reused from round to round (see `_buffer`)
        self.ahead: tuple[dict[str, int] | None, int] | None = None  # the inputs being generated ahead
        self.interrupts = InterruptCounter(session.timing_cpu)
        self.ref_blocks_since_candidate = 2
        self.twin_span_s: dict[int, float] = {}  # each twin's latest turn, whole: the idle that stands in for one
        self.ref_call_s = 0.0
        self.turn = secrets.randbits(1)  # the twin that runs the next measured round

    # ---------------------------------------------------------------- one round
    def run(self, step: Step) -> Round:
        """Fresh secret inputs for every call; both sides timed in the step's order; every output checked."""
        s = self.session
        gen, checks = s.gen, s.checks
        assert gen is not None and checks is not None
        sizes = dict(step.sizes) if step.sizes is not None else None
        key = tuple(sorted((sizes or {}).items()))
        inputs, end = self._generate(sizes, step.calls)
        data = self._buffer("inputs", end)
        if gen.read_into(data, 0) != end:
            raise WorkerError("the generator's channel holds fewer bytes than it reported writing")
        ref_first = step.reference_first or key not in self.expected
        twins = self._twins(step)
        if step.phase in ("warmup", "measure"):
            self._pad(ref_first, twins)
        if ref_first:
            ref = self._references(twins, inputs, data, key)
        cand = self._candidate(inputs, data, self.expected[key], step)
        if not ref_first:
            ref = self._references(twins, inputs, data, key)
        self._generate_ahead(sizes, step.calls)  # a guess: most rounds are like the one before
        expected = self.expected[key]
        checks.inputs(data, inputs, sizes)  # first: a flag outranks an incorrect output
        checks.threads(cand.threads_after)
        last = cand.outputs[-1]
        if last is not None and cand.frozen_last is not None:
            checks.unchanged(last, cand.frozen_last, len(inputs) - 1, sizes)
        for reply, reference, got in zip(cand.replies, ref.outputs, cand.outputs, strict=True):
            assert reference is not None
            checks.output(reply, expected, reference, got, sizes)
        actual = Step(step.phase, step.calls, ref_first, step.sizes)
        cpu_clock = s.config.device == "cpu"
        return Round(actual, ref.block, cand.block, end // step.calls + expected.nbytes, cpu_clock, twins[-1])

    def _twins(self, step: Step) -> list[int]:
        """The twins that run this round's reference block, in order: the next in turn for a measured round."""
        count = len(self.session.refs)
        if step.phase == "measure":
            self.turn = (self.turn + 1) % count
            return [self.turn]
        return list(range(count)) if step.phase in ("calibrate", "warmup") else [0]

    def _references(self, twins: list[int], inputs: list[list[dict[str, Any]]], data: memoryview, key: Any) -> Side:
        """Each twin's turn, timed whole for `_pad`; the last one's side (the shared buffers hold its outputs)."""
        for twin in twins:
            t0 = time.perf_counter()
            side = self._reference(twin, inputs, data, key)
            self.twin_span_s[twin] = time.perf_counter() - t0
        return side

    def verify_frozen(self, when: str) -> None:
        """Raise a flag if the candidate ran since it was last frozen."""
        cand = self.session.cand
        assert cand is not None
        breach = cand.breach()
        if breach is not None:
            raise flag(
                "freeze-broken",
                f"{breach} ({when}); only a signal it arranged itself can wake a frozen worker",
                "the candidate ran while it should have been frozen (work done then is charged to nobody)",
            )

    def _pad(self, ref_first: bool, twins: list[int]) -> None:
        """Stand in for the reference blocks that will not run between the candidate's last block and its next
        one, so that the gap between its blocks is the same whatever the order: two reference blocks long
        (three or four after a warm-up round whose twins all ran after the candidate).

        Each stands in for this round's twin (`stand_ins`) and lasts as long as its latest turn, whole: with the
        calls' round trips alone, the reads of a 24 MB output were left out and the gap told the order 83% of the
        time (bench/order_leak.py). A busy wait, not a sleep: an idle CPU (a halted vCPU here) comes back slower,
        and the side that ran after a sleep was 4-6% slower than after busy work (`reference-harmed`).
        """
        idle = stand_ins(self.ref_blocks_since_candidate, twins, ref_first)
        until = time.perf_counter() + sum(self.twin_span_s.get(twin, 0.0) for twin in idle)
        while time.perf_counter() < until:
            pass

    # ---------------------------------------------------------------- sides
    def _reference(self, twin: int, inputs: list[list[dict[str, Any]]], data: memoryview, key: Any) -> Side:
        s = self.session
        ref = s.refs[twin]

        def capture(i: int, reply: Ran) -> memoryview:
            out = reply.output
            if isinstance(out, OutputProblem):
                raise TaskError(f"the task's Model returned no plain tensor: {out.detail}")
            expected = self.expected.setdefault(key, Expected(out.dtype, tuple(out.shape)))
            if not matches(reply, expected):
                raise TaskError(f"the task's Model changed its output from {expected} to {out.dtype} {out.shape}")
            buffer = self._buffer(("reference", i), expected.nbytes)
            if s.exchange.trusted_read(ref, out.address, buffer) != expected.nbytes:
                raise WorkerError("the reference's output could not be read from its memory")
            return buffer

        self._lay_out(ref, inputs, len(data), lambda layout: s.exchange.reference_layout(ref, layout))
        side = self._block(ref, inputs, data, lambda run: s.exchange.reference_call(ref, run), capture)
        # Read the last output again once frozen, as the candidate's is (the freeze check): the read leaves that
        # output's pages in the cache, and the next call writes its output into the same heap block. Done for
        # the candidate alone, it warmed the candidate's next output and an A/A on a 24 MB LayerNorm output
        # read 1.05-1.09x faster (docs/evaluator.md, "The same steps after both sides' blocks").
        last = side.replies[-1].output
        assert not isinstance(last, OutputProblem)
        side.frozen_last = self._buffer("reference frozen", self.expected[key].nbytes)
        s.exchange.trusted_read(ref, last.address, side.frozen_last)
        self.ref_blocks_since_candidate += 1
        self.ref_call_s = side.block.wall_s / len(inputs)
        return side

    def _candidate(self, inputs: list[list[dict[str, Any]]], data: memoryview, expected: Expected, step: Step) -> Side:
        s = self.session
        cand, checks = s.cand, s.checks
        assert cand is not None and checks is not None
        self.verify_frozen("before its next block")
        per_call = max(s.config.call_timeout_s, 50 * self.ref_call_s)
        threads = [0]

        def call(run: Run) -> Ran:
            return s.exchange.candidate_call(cand, run, min(s.deadline, time.monotonic() + per_call))

        def capture(i: int, reply: Ran) -> memoryview | None:
            got = self._read_candidate(reply, expected, ("candidate", i))
            threads[0] = max(threads[0], checks.settled_threads())  # threads still alive outlived the call
            return got

        self._lay_out(
            cand,
            inputs,
            len(data),
            lambda layout: s.exchange.candidate_layout(cand, layout, time.monotonic() + per_call),
        )
        side = self._block(cand, inputs, data, call, capture)
        side.threads_after = threads[0]
        side.frozen_last = self._read_candidate(side.replies[-1], expected, "candidate frozen")
        self.ref_blocks_since_candidate = 0
        return side

    def _lay_out(
        self, worker: Worker, inputs: list[list[dict[str, Any]]], nbytes: int, send: Callable[[Layout], None]
    ) -> None:
        """Tell the worker where each call's inputs will lie, when that changed: outside any timed block (the
        worker runs just for this, and is frozen again before its block begins)."""
        worker.ensure_capacity(nbytes)
        key = (worker.capacity, repr(inputs))
        if worker.layout == key:
            return
        if worker is self.session.cand:
            self.verify_frozen("before its inputs were laid out")
        worker.resume()
        send(self.session.exchange.layout_request(inputs, worker.capacity))
        worker.freeze()
        worker.layout = key

    def _read_candidate(self, reply: Ran, expected: Expected, buffer_key: object) -> memoryview | None:
        """The candidate's output bytes at the address it gave, when it claims the expected dtype and shape."""
        cand = self.session.cand
        assert cand is not None
        if not matches(reply, expected):
            return None
        assert not isinstance(reply.output, OutputProblem)
        buffer = self._buffer(buffer_key, expected.nbytes)
        try:
            return buffer[: read_memory(cand.host_pid, reply.output.address, buffer)]
        except ProcessLookupError:
            raise from_exit(cand.exit_status(), cand.killed, "during a call") from None
        except PermissionError as exc:
            raise flag(
                "protocol-violation",
                f"the orchestrator could not read the candidate's memory ({exc.strerror})",
                "the candidate's worker broke the result protocol",
            ) from None

    def _block(
        self,
        worker: Worker,
        inputs: list[list[dict[str, Any]]],
        data: memoryview,
        call: Callable[[Run], Ran],
        capture: Callable[[int, Ran], memoryview | None],
    ) -> Side:
        """Run a block one call at a time: each call's inputs reach the worker's channel only when it starts.

        A block handed over whole would put the later calls' inputs within the candidate's reach during the
        first call, and one batched pass over them would pass for several fast calls (docs/exploits.md
        cross-call-batch). The CPU clock is read while the worker is frozen: everything it runs from the
        resume to the freeze after its last reply counts (if it cannot be frozen, the wall time is its sample).
        """
        replies: list[Ran] = []
        outputs: list[memoryview | None] = []
        wall = 0.0
        cpu0 = worker.frozen_cpu if worker.frozen_cpu is not None else worker.cpu_time()
        irq0 = self.interrupts.read()
        worker.resume()
        for slot, specs in enumerate(inputs):
            span = input_span(specs)
            if span is not None:
                worker.write(span[0], data[span[0] : span[1]])
            run = self.session.exchange.run_request(slot)
            t0 = time.perf_counter()
            reply = call(run)
            wall += time.perf_counter() - t0
            replies.append(reply)
            outputs.append(capture(len(replies) - 1, reply))
        settled = worker.freeze()
        irq1 = self.interrupts.read()
        assert worker.frozen_cpu is not None
        cpu = worker.frozen_cpu - cpu0 if settled else wall
        block = Block(
            wall_s=wall,
            cpu_s=cpu,
            inner_s=sum(r.time for r in replies),
            host_s=sum(r.host_time for r in replies),
            interrupts=irq1 - irq0 if irq0 >= 0 and irq1 >= 0 else -1,
        )
        return Side(block, replies, outputs)

    # ---------------------------------------------------------------- inputs
    def _generate(self, sizes: dict[str, int] | None, k: int) -> tuple[list[list[dict[str, Any]]], int]:
        """Fresh inputs for k calls: those generated ahead for this round if they match, else new ones."""
        s = self.session
        gen = s.gen
        assert gen is not None
        ahead, self.ahead = self.ahead, None
        reply = s.exchange.trusted_reply(gen, parse_generated) if ahead is not None else None
        if reply is None or ahead != (sizes, k):
            self._request_inputs(sizes, k)
            reply = s.exchange.trusted_reply(gen, parse_generated)
        if isinstance(reply, Failure):
            raise TaskError(f"get_inputs() of task {s.task.name} failed: {reply.type}: {reply.detail}")
        return [[spec.model_dump() for spec in call] for call in reply.calls], reply.end

    def _request_inputs(self, sizes: dict[str, int] | None, k: int) -> None:
        gen = self.session.gen
        assert gen is not None
        seeds = [secrets.randbits(63) for _ in range(k)]
        self.session.exchange.trusted_send(gen, Generate(seeds=seeds, sizes=sizes, offset=0).model_dump())

    def _generate_ahead(self, sizes: dict[str, int] | None, k: int) -> None:
        """Have the generator make the next round's inputs while this round's outputs are checked.

        Called once both sides' calls are over, so the generator (on the other CPU) never runs beside a
        timed call; the next round collects the reply before its first call. Its channel may be overwritten
        now: this round's inputs were copied out before the calls.
        """
        self._request_inputs(sizes, k)
        self.ahead = (sizes, k)

    def _buffer(self, key: object, nbytes: int) -> memoryview:
        """A buffer of `nbytes` kept for the next round: a fresh 25 MB `bytes` per copy costs about 6,000 page
        faults (8-10 ms here), a reused one none."""
        buffer = self.buffers.get(key)
        if buffer is None or len(buffer) < nbytes:
            buffer = self.buffers[key] = bytearray(nbytes)
        return memoryview(buffer)[:nbytes]
