"""`RayEvaluator`: `Evaluator`'s interface, with each evaluation sent to a node of a Ray cluster.

Ray is imported here, on first use, and nowhere else on the driver: a command without `--ray` never pays its
start-up. The driver reads the task and the candidate, sends their text (`Job`), and gets results back as
JSON; seeds, workers and the sandbox exist only on the node.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from assay import errors
from assay.cluster._cpus import TIMING_RESOURCE
from assay.cluster._job import Job, Row
from assay.cluster._node import NICE_VAR, NodeEvaluator, NodeInfo
from assay.cluster._pool import Notice, Pool
from assay.errors import ClusterError, ConfigError
from assay.evaluate import EvalConfig, EvalResult
from assay.report import safe_text
from assay.tasks import Task

_START_TIMEOUT_S = 300.0  # every node's evaluator imports torch in its zygote at once


def _stderr(line: str) -> None:
    print(f"assay: {line}", file=sys.stderr, flush=True)


def _reachable(address: str) -> None:
    """Fail fast on a host:port nothing listens on (Ray itself would retry for minutes)."""
    host, _, port = address.rpartition("://")[2].rpartition(":")
    if not host or not port.isdigit():
        raise ConfigError(f"--ray takes auto or HOST:PORT (the head node's address), got {address!r}")
    try:
        socket.create_connection((host, int(port)), timeout=5.0).close()
    except OSError as exc:
        raise ClusterError(f"cannot reach a Ray cluster at {address}: {exc.strerror or exc}") from None


def _keep_stdout_clean(ray: Any) -> None:
    """Ray's driver prints the cluster's error messages ("a worker died ...") on stdout, in colour, from a thread
    of its own; stdout belongs to the report (`--json` promises one object there). They go to stderr instead,
    one plain line each: the dispatcher says in its own words what it does about them."""
    worker = getattr(getattr(ray, "_private", None), "worker", None)
    printer = getattr(worker, "print_to_stdstream", None)
    if printer is None or getattr(printer, "assay_quiet", False):
        return

    def to_stderr(data: dict[str, Any], ignore_prefix: bool) -> None:
        for line in data.get("lines", []):
            text = safe_text(str(line), markup=False, one_line=True)
            print(f"ray ({data.get('pid', '')}): {text[:400]}", file=sys.stderr, flush=True)

    to_stderr.assay_quiet = True  # type: ignore[attr-defined]
    setattr(worker, "print_to_stdstream", to_stderr)  # noqa: B010  (worker is an untyped module)


def connect(address: str) -> Any:
    """The `ray` module, connected to the cluster at `address` (`auto`: the one this machine belongs to).

    Raises:
        ConfigError: Ray is not installed, or the address is malformed.
        ClusterError: no cluster answers there.
    """
    try:
        import ray
    except ImportError:
        raise ConfigError("--ray needs Ray: pip install 'assay[ray]'") from None
    _keep_stdout_clean(ray)
    if ray.is_initialized():
        return ray
    if address != "auto":
        _reachable(address)
    try:
        ray.init(address=address, log_to_driver=False, logging_level=logging.WARNING)
    except ConnectionError as exc:
        if address == "auto":
            raise ClusterError(
                "no Ray cluster runs on this machine (start one with ray start --head --resources "
                f"'{{\"{TIMING_RESOURCE}\": N}}', or give --ray HEAD_IP:PORT)"
            ) from None
        raise ClusterError(f"cannot connect to a Ray cluster at {address}: {str(exc).splitlines()[0]}") from None
    return ray


class RayEvaluator:
    """Evaluates on a Ray cluster: as many evaluations at once as its nodes declare timing CPUs.

    Each node runs `ray start ... --resources '{"assay_timing_cpu": N}'`; this starts one evaluator (a Ray
    actor holding one timing CPU and one warm zygote) per unit. `evaluate` has `Evaluator.evaluate`'s signature
    and blocks; `submit` and `evaluate_many` keep every node busy.

    Raises:
        ConfigError: Ray is not installed.
        ClusterError: the cluster cannot be reached, declares no timing CPU, or no evaluator starts.
    """

    def __init__(
        self, address: str = "auto", *, attempts: int = 3, node_wait_s: float = 300.0, notice: Notice | None = None
    ) -> None:
        self._ray = ray = connect(address)
        units = int(ray.cluster_resources().get(TIMING_RESOURCE, 0))
        if units < 1:
            raise ClusterError(
                f"the Ray cluster at {address} declares no {TIMING_RESOURCE}: start each node with "
                f"ray start ... --resources '{{\"{TIMING_RESOURCE}\": N}}' (N: CPUs it gives to evaluations)"
            )
        remote = ray.remote(NodeEvaluator).options(
            num_cpus=0, resources={TIMING_RESOURCE: 1}, max_restarts=-1, max_task_retries=0
        )
        self._actors = [remote.remote() for _ in range(units)]
        self._pool = Pool(ray, [], attempts, node_wait_s, notice or _stderr)
        self._ahead: dict[str, int] = {}
        self._start()

    def _start(self) -> None:
        """Wait for every evaluator to come up; keep those that did, say why the others did not."""
        pings = {a.info.remote(): a for a in self._actors}
        ready, late = self._ray.wait(list(pings), num_returns=len(pings), timeout=_START_TIMEOUT_S)
        reasons: list[str] = []
        for ref in ready:
            try:
                node = NodeInfo.model_validate_json(self._ray.get(ref))
            except self._ray.exceptions.RayError as exc:
                reasons.append(str(exc).strip().splitlines()[-1][:300])
                continue
            self._pool.nodes[node.node_id] = node
            self._pool.add(pings[ref])
        if late:
            reasons.append(f"{len(late)} evaluator(s) did not start within {_START_TIMEOUT_S:g} s")
        if not self._pool.size:
            self.close()
            raise ClusterError("no evaluator started on the cluster: " + "; ".join(reasons))
        for reason in reasons:
            self._pool.notice(f"an evaluator did not start: {reason}")
        for node in self._pool.nodes.values():
            if node.nice > 0:
                self._pool.notice(
                    f"node {node.hostname} evaluates at nice {node.nice}: start it with {NICE_VAR}=0 (or as root)"
                )

    # -- what a caller uses ------------------------------------------------------------------------------

    @property
    def slots(self) -> int:
        """How many evaluations run at once."""
        return self._pool.size

    def nodes(self) -> list[NodeInfo]:
        """The nodes evaluators have run on so far."""
        return list(self._pool.nodes.values())

    def submit(self, job: Job) -> int:
        """Queue a job; returns its ticket, for `result`."""
        return self._pool.submit(job)

    def result(self, ticket: int) -> Row:
        """The row of a submitted job, waiting for it."""
        while ticket not in self._pool.done:
            self._pool.step()
        return self._pool.done.pop(ticket)

    def evaluate(
        self,
        task: Task | str | Path,
        candidate: str | Path,
        config: EvalConfig | None = None,
        *,
        name: str | None = None,
    ) -> EvalResult:
        """`Evaluator.evaluate`, on a node (one started by `prefetch` with the same arguments is reused).

        Raises:
            UserError: the task or candidate is missing or malformed.
            InfrastructureError: the evaluation could not run on the node (ClusterError: its node was lost
                every time it was tried).
        """
        job = Job.read(task, candidate, config, name)
        ticket = self._ahead.pop(job.key(), None) or self.submit(job)
        row = self.result(ticket)
        if isinstance(row, EvalResult):
            return row
        kind = getattr(errors, row.error, None)
        if isinstance(kind, type) and issubclass(kind, errors.AssayError):
            raise kind(row.message)
        raise errors.InfrastructureError(f"{row.error}: {row.message}")

    def prefetch(
        self,
        task: Task | str | Path,
        candidate: str | Path,
        config: EvalConfig | None = None,
        *,
        name: str | None = None,
    ) -> bool:
        """Start an evaluation that `evaluate` will probably ask for, if an evaluator is free; whether one was
        started (or is already under way)."""
        job = Job.read(task, candidate, config, name)
        if job.key() in self._ahead:
            return True
        if self._pool.free_slots() < 1:
            return False
        self._ahead[job.key()] = self.submit(job)
        return True

    def evaluate_many(self, jobs: Iterable[Job]) -> Iterator[tuple[int, Row]]:
        """Every job evaluated, as many at once as there are slots: (its index, its row), as each finishes."""
        tickets = {self.submit(job): index for index, job in enumerate(jobs)}
        while tickets:
            finished = [t for t in tickets if t in self._pool.done]
            if not finished:
                self._pool.step()
            for ticket in finished:
                yield tickets.pop(ticket), self._pool.done.pop(ticket)

    def close(self) -> None:
        """Stop the evaluators (their zygotes and workers go with them) and leave the cluster."""
        live = self._pool.live()  # one still coming back (its node lost) would not answer: it is only killed
        with contextlib.suppress(Exception):
            if live:
                self._ray.wait([a.shutdown.remote() for a in live], num_returns=len(live), timeout=10)
        for actor in self._actors:
            self._ray.kill(actor, no_restart=True)
        self._actors = []
        self._ray.shutdown()

    def __enter__(self) -> RayEvaluator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
