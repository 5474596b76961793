"""The requests to one evaluation's workers, and what their replies mean.

Trusted side. A reply of the generator or the reference is the task's code speaking: its failure is the task's
(TaskError) or ours (WorkerError). Every reply of the candidate's worker is validated against the strict models of
`assay.worker` before a field of it is read: anything unexpected is a `protocol-violation` verdict, never an
exception in trusted code.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from typing import Any, TypeVar

from assay.errors import TaskError, WorkerError, WorkerTimeout
from assay.evaluate._memory import read_memory
from assay.evaluate._outcome import Outcome, flag, from_error, from_exit, status_text
from assay.evaluate._result import Verdict
from assay.evaluate._workers import Worker
from assay.worker import Failure, LaidOut, Layout, ProtocolError, Ran, Run, parse_laid_out, parse_ran

T = TypeVar("T")
_FROM_OUTSIDE = (signal.SIGHUP, signal.SIGINT, signal.SIGTERM)  # what a terminal or a job manager sends


def _trusted_death(worker: Worker) -> TaskError | WorkerError:
    """Why the generator or the reference is gone: the task's own code, or a signal sent from outside."""
    status = worker.exit_status()
    if status is not None and os.WIFSIGNALED(status) and os.WTERMSIG(status) in _FROM_OUTSIDE:
        # A hangup, an interrupt or a termination sent to the whole job: not the task's fault.
        return WorkerError(f"the task's {worker.role} worker was {status_text(status)} from outside")
    return TaskError(f"the task's {worker.role} worker died running the task's code ({status_text(status)})")


class Exchange:
    """Requests and replies, with the evaluation's deadline and request ids (each reply must echo its own)."""

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self._next_id = 0

    def trusted_send(self, worker: Worker, request: dict[str, Any]) -> None:
        try:
            worker.send(request)
        except BrokenPipeError:
            raise _trusted_death(worker) from None

    def trusted_reply(self, worker: Worker, parse: Callable[[bytes], T]) -> T:
        """A reply of the generator or the reference, validated like any other (a malformed one is our bug)."""
        try:
            return parse(worker.receive_body(self.deadline))
        except ProtocolError as exc:
            raise self._trusted_failure(worker, exc) from None

    def trusted_read(self, worker: Worker, address: int, buffer: memoryview) -> int:
        """Bytes of a trusted worker's memory at `address` (`read_memory`); a worker that died since its reply
        is explained as any other trusted death (a signal from outside is not the task's fault)."""
        try:
            return read_memory(worker.host_pid, address, buffer)
        except ProcessLookupError:
            raise _trusted_death(worker) from None

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

    def reference_layout(self, ref: Worker, layout: Layout) -> None:
        self.trusted_send(ref, layout.model_dump())
        try:
            reply = parse_laid_out(ref.receive_body(self.deadline))
        except ProtocolError as exc:
            raise self._trusted_failure(ref, exc) from None
        if isinstance(reply, Failure):
            raise WorkerError(f"the reference worker failed to lay out its inputs: {reply.type}: {reply.detail}")

    def candidate_layout(self, cand: Worker, layout: Layout, limit: float) -> None:
        self._candidate_reply(cand, layout.model_dump(), limit, "while laying out its inputs", parse_laid_out)

    def reference_call(self, ref: Worker, run: Run) -> Ran:
        """One call on the reference. Its reply is the task's own code speaking: a failure is the task's."""
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

    def candidate_call(self, cand: Worker, run: Run, limit: float) -> Ran:
        """One call on the candidate: its reply validated, a failure turned into the verdict it deserves.

        Raises:
            Outcome: the candidate crashed, timed out, broke the protocol, or raised in the call.
        """
        reply = self._candidate_reply(cand, run.model_dump(), limit, "during a call", parse_ran)
        assert isinstance(reply, Ran)
        return reply

    def _candidate_reply(
        self,
        cand: Worker,
        request: dict[str, Any],
        limit: float,
        when: str,
        parse: Callable[[bytes], Ran | LaidOut | Failure],
    ) -> Ran | LaidOut:
        """Send a request, validate the reply, and make any failure the verdict it deserves; the reply must echo
        the request's id."""
        body = self.candidate_exchange(cand, request, limit, when)
        try:
            reply = parse(body)
        except ProtocolError as exc:
            raise protocol_violation(str(exc)) from None
        if isinstance(reply, Failure):
            raise from_error(reply, "call")
        if reply.id != request["id"]:
            raise protocol_violation(f"the reply to request {request['id']} answered {reply.id}")
        return reply

    def candidate_exchange(self, cand: Worker, request: dict[str, Any], limit: float, when: str) -> bytes:
        try:
            cand.send(request)
            return cand.receive_body(limit)
        except ProtocolError as exc:
            if exc.timed_out:
                cand.kill()
                raise Outcome(Verdict.TIMEOUT, f"the candidate did not finish {when} in time") from None
            if exc.eof:
                raise from_exit(cand.exit_status(), cand.killed, when) from None
            raise protocol_violation(str(exc)) from None
        except BrokenPipeError:
            raise from_exit(cand.exit_status(), cand.killed, when) from None


def protocol_violation(evidence: str) -> Outcome:
    return flag("protocol-violation", evidence, "the candidate's worker broke the result protocol")
