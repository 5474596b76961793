"""The node's side: a Ray actor that holds one timing CPU and one warm `Evaluator`, and runs jobs one at a time.

Each actor is an orchestrator exactly as `assay eval` is one: its own zygote, its own seeds (drawn per
evaluation, never sent or returned), the same sandbox and protocol. What it adds to a result is where it was
measured: the node, its CPU model, the timing CPU, and the node's own machine profile (`assay machine`, when
it was measured there), so that speedups from different machines are never taken for one machine's.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import tempfile
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from assay.cluster._cpus import claim_timing_cpu, evaluator_affinity
from assay.cluster._job import JOB_VERSION, Job, materialize
from assay.errors import ClusterError
from assay.evaluate import EvalError, Evaluator
from assay.machine import load_cached
from assay.machine._profile import current_metadata
from assay.report import safe_text

NICE_VAR = "RAY_worker_niceness"


class NodeInfo(BaseModel):
    """Where an evaluation ran; kept in `EvalResult.environment["node"]`."""

    node_id: str
    hostname: str
    address: str
    cpu_model: str
    cores: int
    timing_cpu: int
    nice: int = 0  # the evaluator's niceness: 0 as for a local evaluation, unless it could not be restored
    machine: dict[str, Any] | None = None  # the node's cached machine profile, None when never measured there


def node_alive() -> bool:
    """Whether this node's raylet still runs. When a node goes down its processes are killed around an
    evaluation under way, and a worker killed while frozen reads as a broken freeze: a verdict made then is
    not the candidate's doing, so it must not leave the node (the driver sees the evaluator die, and retries)."""
    raylet = os.environ.get("RAY_RAYLET_PID", "")
    if not raylet.isdigit():
        return True  # not under a raylet (a test, a plain process): nothing to watch
    try:
        state = Path(f"/proc/{raylet}/stat").read_text().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def normal_priority() -> int:
    """Bring this thread (and so the zygote and workers it starts) back to niceness 0; the niceness in force.

    Ray starts its workers at nice 15 (`RAY_worker_niceness`): an evaluation there yields the CPU to every
    ordinary process, and took 1.5-1.9x the wall time of the same evaluation run locally on this loaded
    machine (same rounds). Root may lower it again; anyone else starts the node with RAY_worker_niceness=0.
    """
    if os.getpriority(os.PRIO_PROCESS, 0) > 0:
        with contextlib.suppress(PermissionError):
            os.setpriority(os.PRIO_PROCESS, 0, 0)
    return os.getpriority(os.PRIO_PROCESS, 0)


def describe_node(timing_cpu: int, nice: int) -> NodeInfo:
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
        nice=nice,
        machine=profile.model_dump(mode="json") if profile is not None else None,
    )


def _task_folder(cpu: int) -> Path:
    """Where this evaluator writes its tasks: one folder per timing CPU (its lock is held, so the folder is this
    evaluator's alone), emptied first, so that an evaluator killed with its node leaves nothing that piles up."""
    path = Path(tempfile.gettempdir()) / f"assay-node-{os.getuid()}-cpu{cpu}"
    with contextlib.suppress(OSError):
        if path.is_dir() and not path.is_symlink() and path.stat().st_uid == os.getuid():
            shutil.rmtree(path)
        path.mkdir(mode=0o700)
        return path
    return Path(tempfile.mkdtemp(prefix="assay-node-"))  # the name is taken by something not ours


class NodeEvaluator:
    """One evaluation slot of a node (the Ray actor's class). Its zygote starts with it, so that torch's import
    overlaps the driver's start-up rather than the first evaluation."""

    def __init__(self) -> None:
        nice = normal_priority()
        self._claim = claim_timing_cpu()
        affinity = evaluator_affinity(self._claim.cpu)
        if affinity is not None:  # before the zygote starts: it and its workers inherit it
            os.sched_setaffinity(0, affinity)
        self._root = _task_folder(self._claim.cpu)
        self._node = describe_node(self._claim.cpu, nice)
        self._evaluator: Evaluator | None = Evaluator()

    def info(self) -> str:
        """The node's description (JSON): also the driver's sign that this slot is up again after a restart."""
        return self._node.model_dump_json()

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
            if not node_alive():
                os._exit(1)  # as below: a failure while the node goes down is the node's, retried elsewhere
            self.close()
            message = safe_text(exc, markup=False, one_line=True) or type(exc).__name__
            error = EvalError(error=type(exc).__name__, message=message, task=name, candidate=candidate)
            return error.model_dump_json()
        if not node_alive():
            os._exit(1)  # the node is going down: this result may be an artefact of its processes being killed
        result.environment["node"] = self._node.model_dump(mode="json")
        if self._node.nice > 0:
            result.warnings.append(
                f"evaluated at nice {self._node.nice} (Ray's worker niceness): other processes came first; "
                f"start the node with {NICE_VAR}=0"
            )
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
