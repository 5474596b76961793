"""What crosses the wire: a job (task and candidate as text, and the options) out, a result (JSON) back.

The driver never sends a Python object that a node would unpickle into assay's types, nor a path that only
the driver's file system has: a job is one pydantic model, sent as JSON text, and the node writes the task's
source into a folder of its own before it evaluates. Results come back as `EvalResult` (or `EvalError`) JSON.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from assay.errors import TaskError
from assay.evaluate import EvalConfig, EvalError, EvalResult
from assay.sandbox import Limits
from assay.tasks import Task, TaskSpec, load_task

JOB_VERSION = 1
Row = EvalResult | EvalError


class Job(BaseModel):
    """One evaluation as the node receives it: everything it needs, nothing that points back at the driver."""

    model_config = ConfigDict(frozen=True)
    version: int = JOB_VERSION
    task_name: str
    task_source: str
    task_spec: str  # the task's `TaskSpec` (its task.toml, validated) as JSON
    candidate_source: str
    name: str  # the result's `candidate` label: the driver's path, or the name given
    config: dict[str, Any]  # `EvalConfig`'s fields; `cpu` is left to the node, which owns its timing CPUs

    @classmethod
    def make(cls, task: Task, candidate_source: str, config: EvalConfig, name: str) -> Job:
        """A job from a loaded task (read here, on the driver) and the candidate's source text.

        Raises:
            TaskError: the task file cannot be read.
        """
        try:
            source = task.source
        except (OSError, UnicodeDecodeError) as exc:
            raise TaskError(f"cannot read task file {task.task_file}: {exc}") from None
        values = {f.name: getattr(config, f.name) for f in fields(config)}
        values.update(sizes=dict(config.sizes), limits=asdict(config.limits), cpu=None)
        return cls(
            task_name=task.name,
            task_source=source,
            task_spec=task.spec.model_dump_json(),
            candidate_source=candidate_source,
            name=name,
            config=values,
        )

    @classmethod
    def read(cls, task: Task | str | Path, candidate: str | Path, config: EvalConfig | None, name: str | None) -> Job:
        """A job read on the driver, from the arguments `Evaluator.evaluate` takes.

        Raises:
            UserError: the task or the candidate is missing or malformed (TaskError for the task).
        """
        from assay.evaluate._evaluate import read_candidate

        task = task if isinstance(task, Task) else load_task(task)
        path, source = read_candidate(candidate)
        return cls.make(task, source, config or EvalConfig(), name or str(path))

    def eval_config(self, cpu: int) -> EvalConfig:
        """The evaluation's options on the node, pinned to the timing CPU this node gave the evaluation."""
        values = dict(self.config)
        values.update(limits=Limits(**values["limits"]), cpu=cpu)
        return EvalConfig(**values)

    def key(self) -> str:
        """A hash of the whole job: two jobs with one key are the same evaluation."""
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()


def materialize(job: Job, root: Path) -> Task:
    """The job's task, written under `root` (one folder per task source, reused) and described as a `Task`.

    Raises:
        TaskError: the task's name is not a plain file name, or its spec does not validate.
    """
    name = job.task_name
    if not name or name in (".", "..") or "/" in name or "\0" in name:
        raise TaskError(f"a task name must be a plain file name, got {name!r}")
    try:
        spec = TaskSpec.model_validate_json(job.task_spec)
    except ValidationError as exc:
        raise TaskError(f"task {name}: its spec does not validate ({exc.error_count()} errors)") from None
    digest = hashlib.sha256(f"{job.task_source}\0{job.task_spec}".encode()).hexdigest()[:16]
    folder = root / digest / name
    task_file = folder / "task.py"
    if not task_file.is_file():
        folder.mkdir(parents=True, exist_ok=True)
        partial = folder / ".task.py.part"
        partial.write_text(job.task_source)
        partial.replace(task_file)  # a folder in use is never seen half written
    return Task(name=name, root=folder, task_file=task_file, spec=spec)


def parse_row(text: str) -> Row:
    """A node's answer: an `EvalResult`, or an `EvalError` (`verdict` null) for an evaluation that could not run.

    Raises:
        ValueError: the text is neither (`ValidationError` is one).
    """
    data = json.loads(text)
    if isinstance(data, dict) and data.get("verdict") is None:
        return EvalError.model_validate(data)
    return EvalResult.model_validate(data)
