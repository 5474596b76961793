"""The driver's dispatcher: one Ray actor per timing CPU of the cluster, one job per actor at a time.

A job whose actor dies under it (its process killed, its node lost) is queued again, at the front, and counts
an attempt: a lost node gives a retry, never a verdict, and the job's result is recorded only when a node
answers. After `attempts` losses the job ends as an error row (`EvalError`, no verdict), which a rerun
retries. The dead actor is restarted by Ray (`max_restarts=-1`), on its node or wherever a timing CPU is free;
it takes jobs again once it answers `info()`.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from assay.cluster._job import Job, Row, parse_row
from assay.cluster._node import NodeInfo
from assay.errors import ClusterError
from assay.evaluate import EvalError
from assay.report import safe_text

Notice = Callable[[str], None]
_PING_AGAIN_S = 1.0  # a restarting actor refuses calls for a moment: ask again this much later


@dataclass
class Ticket:
    id: int
    job: Job
    text: str  # the job as JSON: what crosses the wire
    attempts: int = 0  # losses so far


def _reason(exc: BaseException) -> str:
    lines = [line for line in str(exc).splitlines() if line.strip()]
    return safe_text(lines[0] if lines else type(exc).__name__, markup=False, one_line=True)[:300]


class Pool:
    def __init__(self, ray: Any, actors: list[Any], attempts: int, node_wait_s: float, notice: Notice) -> None:
        self._ray, self._attempts, self._node_wait_s, self.notice = ray, attempts, node_wait_s, notice
        self._idle: list[Any] = list(actors)
        self._queue: deque[Ticket] = deque()
        self._running: dict[Any, tuple[Any, Ticket]] = {}  # ObjectRef -> (actor, ticket)
        self._reviving: dict[Any, Any] = {}  # ObjectRef of info() -> actor
        self._resting: list[tuple[float, Any]] = []  # (when to ask again, actor)
        self._next = 0
        self._starved_since: float | None = None
        self.done: dict[int, Row] = {}
        self.nodes: dict[str, NodeInfo] = {}
        self.dropped: list[str] = []  # why actors were given up

    def add(self, actor: Any) -> None:
        self._idle.append(actor)

    @property
    def size(self) -> int:
        """Evaluators alive or coming back."""
        return len(self._idle) + len(self._running) + len(self._reviving) + len(self._resting)

    def live(self) -> list[Any]:
        """Evaluators up now (idle or at work): those that can be asked to stop."""
        return [*self._idle, *(actor for actor, _ in self._running.values())]

    def free_slots(self) -> int:
        """Evaluators that would start a job submitted now."""
        return len(self._idle) - len(self._queue)

    def submit(self, job: Job) -> int:
        self._next += 1
        self._queue.append(Ticket(self._next, job, job.model_dump_json()))
        return self._next

    @property
    def busy(self) -> bool:
        return bool(self._queue or self._running)

    def step(self, timeout: float = 1.0) -> None:
        """Start what can start, then handle what finished within `timeout` seconds."""
        self._wake()
        while self._queue and self._idle:
            actor, ticket = self._idle.pop(0), self._queue.popleft()
            self._running[actor.evaluate.remote(ticket.text)] = (actor, ticket)
        refs = [*self._running, *self._reviving]
        if not refs:
            if self._queue and not self._resting:
                raise ClusterError("no evaluator is left on the cluster: " + ("; ".join(self.dropped) or "all died"))
            time.sleep(min(timeout, _PING_AGAIN_S))
        else:
            ready, _ = self._ray.wait(refs, num_returns=1, timeout=timeout)
            for ref in ready:
                if ref in self._running:
                    self._finished(ref)
                else:
                    self._revived(ref)
        self._check_starved()

    def _finished(self, ref: Any) -> None:
        exceptions = self._ray.exceptions
        actor, ticket = self._running.pop(ref)
        try:
            text = self._ray.get(ref)
        except exceptions.RayActorError as exc:
            self._lost(actor, ticket, exc)
            return
        except exceptions.RayError as exc:  # the call itself failed on a live node: not a lost node, no verdict
            self.done[ticket.id] = self._error(ticket, f"the node could not run the evaluation: {_reason(exc)}")
        else:
            try:
                self.done[ticket.id] = parse_row(text)
            except ValueError:
                self.done[ticket.id] = self._error(ticket, "a node's answer was not a result")
        self._idle.append(actor)

    def _lost(self, actor: Any, ticket: Ticket, exc: BaseException) -> None:
        ticket.attempts += 1
        where = f"{ticket.job.task_name} <- {ticket.job.name}"
        if ticket.attempts >= self._attempts:
            message = f"lost its node {ticket.attempts} times ({_reason(exc)})"
            self.done[ticket.id] = self._error(ticket, message)
            self.notice(f"lost a node during {where}: given up after {ticket.attempts} attempts")
        else:
            self._queue.appendleft(ticket)
            self.notice(
                f"lost a node during {where}; evaluating it again (attempt {ticket.attempts + 1} of {self._attempts})"
            )
        self._reviving[actor.info.remote()] = actor

    def _revived(self, ref: Any) -> None:
        exceptions = self._ray.exceptions
        actor = self._reviving.pop(ref)
        try:
            node = NodeInfo.model_validate_json(self._ray.get(ref))
        except exceptions.ActorDiedError as exc:  # for good: its constructor failed, or it cannot be restarted
            self.dropped.append(_reason(exc))
            self.notice(f"an evaluator was given up: {_reason(exc)}")
            return
        except exceptions.RayActorError:  # restarting: not taking calls yet
            self._resting.append((time.monotonic() + _PING_AGAIN_S, actor))
            return
        self.nodes[node.node_id] = node
        self._idle.append(actor)

    def _wake(self) -> None:
        now = time.monotonic()
        due = [actor for when, actor in self._resting if when <= now]
        self._resting = [(when, actor) for when, actor in self._resting if when > now]
        for actor in due:
            self._reviving[actor.info.remote()] = actor

    def _check_starved(self) -> None:
        """Jobs waiting while no evaluator is up: after `node_wait_s`, they end as error rows."""
        if not self._queue or self._idle or self._running:
            self._starved_since = None
            return
        now = time.monotonic()
        self._starved_since = self._starved_since or now
        if now - self._starved_since >= self._node_wait_s:
            while self._queue:
                ticket = self._queue.popleft()
                message = f"no node of the cluster came back within {self._node_wait_s:g} s"
                self.done[ticket.id] = self._error(ticket, message)

    @staticmethod
    def _error(ticket: Ticket, message: str) -> EvalError:
        return EvalError(error="ClusterError", message=message, task=ticket.job.task_name, candidate=ticket.job.name)
