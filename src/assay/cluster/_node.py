"""The node's side: a Ray actor that holds one timing CPU and one warm `Evaluator`, and runs jobs one at a time.

Each actor is an orchestrator exactly as `assay eval` is one: its own zygote, its own seeds (drawn per
evaluation, never sent or returned), the same sandbox and protocol. What it adds to a result is where it was
measured: the node, its CPU model, the timing CPU, and the node's own machine profile (`assay machine`, when
it was measured there), so that speedups from different machines are never taken for one machine's.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from assay.cluster._cpus import claim_timing_cpu
from assay.cluster._job import JOB_VERSION, Job, materialize
from assay.errors import ClusterError
from assay.evaluate import EvalError, Evaluator
from assay.machine import load_cached
from assay.machine._profile import current_metadata
from assay.report import safe_text


class NodeInfo(BaseModel):
    """Where an evaluation ran; kept in `EvalResult.environment["node"]`."""

    node_id: str
    hostname: str
    address: str
    cpu_model: str
    cores: int
    timing_cpu: int
    machine: dict[str, Any] | None = None  # the node's cached machine profile, None when never measured there


def describe_node(timing_cpu: int) -> NodeInfo:
    """This node, as seen from inside a Ray worker process."""
    import ray

    meta = current_metadata()
    profile = load_cached()
    return NodeInfo(
        node_id=ray.get_runtime_context().get_node_id(),
        hostname=socket.gethostname(),
        address=ray.util.get_node_ip_address(),  # type: ignore[no-untyped-call]
        cpu_model=str(meta["cpu_model"]),
        cores=int(str(meta["cores"])),
        timing_cpu=timing_cpu,
        machine=profile.model_dump(mode="json") if profile is not None else None,
    )


class NodeEvaluator:
    """One evaluation slot of a node (the Ray actor's class). Its zygote starts with it, so that torch's import
    overlaps the driver's start-up rather than the first evaluation."""

    def __init__(self) -> None:
        self._claim = claim_timing_cpu()
        self._root = Path(tempfile.mkdtemp(prefix="assay-node-"))
        self._node = describe_node(self._claim.cpu)
        self._evaluator: Evaluator | None = Evaluator()

    def info(self) -> str:
        """The node's description (JSON): also the driver's sign that this slot is up again after a restart."""
        return self._node.model_dump_json()

    def pid(self) -> int:
        return os.getpid()

    def evaluate(self, job_text: str) -> str:
        """One job in, one result out (JSON): an `EvalResult`, or an `EvalError` when the evaluation could not
        run here (the evaluator is then started afresh for the next job, as bench does locally)."""
        name, candidate = "", ""
        try:
            job = Job.model_validate_json(job_text)
            name, candidate = job.task_name, job.name
            if job.version != JOB_VERSION:
                raise ClusterError(f"this node reads jobs of version {JOB_VERSION}, not {job.version}: update assay")
            task = materialize(job, self._root)
            source = job.candidate_source if "\n" in job.candidate_source else job.candidate_source + "\n"
            self._evaluator = self._evaluator or Evaluator()
            result = self._evaluator.evaluate(task, source, job.eval_config(self._claim.cpu), name=job.name)
        except Exception as exc:
            self.close()
            message = safe_text(exc, markup=False, one_line=True) or type(exc).__name__
            error = EvalError(error=type(exc).__name__, message=message, task=name, candidate=candidate)
            return error.model_dump_json()
        result.environment["node"] = self._node.model_dump(mode="json")
        return result.model_dump_json()

    def close(self) -> None:
        """Stop the evaluator (its zygote and workers); the next job starts a fresh one."""
        evaluator, self._evaluator = getattr(self, "_evaluator", None), None
        if evaluator is not None:
            evaluator.close()

    def shutdown(self) -> None:
        """Before the driver lets this actor go: the evaluator stopped, the task copies removed (an actor that was
        killed leaves its copies, a few task files, in the temporary folder)."""
        self.close()
        if hasattr(self, "_root"):
            shutil.rmtree(self._root, ignore_errors=True)
