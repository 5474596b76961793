"""The orchestrator's side of the analysis: run the child once per task file, keep its answer.

The task file is trusted (the evaluator's reference worker imports it), but importing it here would run its
module-level code and its constructor in the orchestrator, and pull torch in: the child does it instead, with
the evaluator's clean environment, a timeout and its own process group.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assay.errors import WorkerError, WorkerTimeout
from assay.evaluate._zygote import clean_environment
from assay.search._offline._ir import Const, Graph, Meta, Node, Ref
from assay.search._offline._pass_source import SourceForward
from assay.tasks import Task

_TIMEOUT_S = 180.0


@dataclass(frozen=True)
class Analysis:
    """What the child found. `graph` is None when the forward could not be traced (`trace_error` says why)."""

    task_source: str
    input_shapes: tuple[tuple[Any, ...], ...]  # per size set: one {"shape", "dtype"} or {"scalar"} per input
    graph: Graph | None
    trace_error: str = ""
    forward: SourceForward | None = None  # the forward's source, when the graph could not be traced

    def fresh_graph(self) -> Graph | None:
        return self.graph.copy() if self.graph is not None else None


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    (key, inner), *_ = value.items()
    if key == "node":
        return Ref(inner)
    if key == "tuple":
        return tuple(_decode(v) for v in inner)
    if key == "dict":
        return {k: _decode(v) for k, v in inner.items()}
    if key == "slice":
        return Const("slice({}, {}, {})".format(*(repr(_decode(v)) for v in inner)))
    if key == "dtype":
        return Const(f"_torch.{inner}")
    if key == "device":
        return Const(f"_torch.device({inner!r})")
    if key == "memory_format":
        return Const(f"_torch.{inner}")
    if key == "float":
        return Const(f"float({inner!r})")
    if key == "ellipsis":
        return Const("...")
    raise ValueError(f"unknown argument encoding {key!r}")


def _meta(raw: dict[str, Any], others: list[dict[str, Any]]) -> Meta:
    if not raw.get("tensor"):
        return Meta(known=True, value=raw.get("value"), others=tuple(others))
    return Meta(
        tensor=True,
        known=True,
        shape=tuple(raw["shape"]),
        stride=tuple(raw["stride"]),
        dtype=str(raw["dtype"]),
        storage=int(raw["storage"]),
        others=tuple(others),
    )


def parse_analysis(task_source: str, answer: dict[str, Any]) -> Analysis:
    """Turn the child's JSON into an Analysis (one without a graph or shapes if the task would not load)."""
    if "error" in answer:
        return Analysis(task_source, (), None, str(answer["error"]))
    shapes = tuple(tuple(s) for s in answer["input_shapes"])
    if not answer.get("traced"):
        source = answer.get("forward_source")
        forward = None
        if isinstance(source, str) and shapes:
            ndims = tuple(len(s["shape"]) if "shape" in s else None for s in shapes[0])
            forward = SourceForward(source, dict(answer.get("modules", {})), ndims)
        return Analysis(task_source, shapes, None, str(answer.get("trace_error", "")), forward)
    nodes = [
        Node(
            name=n["name"],
            op=n["op"],
            target=n["target"],
            args=tuple(_decode(a) for a in n["args"]),
            # `inplace=False` is the default of every functional activation: dropped, so rewrites see one form.
            kwargs={k: _decode(v) for k, v in n["kwargs"].items() if not (k == "inplace" and v is False)},
            meta=_meta(n["meta"], n.get("other_sizes", [])),
        )
        for n in answer["nodes"]
    ]
    return Analysis(task_source, shapes, Graph(nodes, dict(answer["modules"])))


def run_child(task_file: Path, extra_sizes: list[dict[str, int]]) -> dict[str, Any]:
    """Run the analysis child on a task file and return its JSON answer.

    Raises:
        WorkerError: the child died or printed something that is not JSON.
        WorkerTimeout: it took longer than three minutes.
    """
    env = clean_environment()
    with tempfile.TemporaryDirectory(prefix="assay-offline-") as scratch:
        proc = subprocess.Popen(
            [sys.executable, "-m", "assay.search._offline._trace", str(task_file), json.dumps(extra_sizes)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=scratch,
            env=env,
            start_new_session=True,
        )
        try:
            out, err = proc.communicate(timeout=_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise WorkerTimeout(f"analysing {task_file} took longer than {_TIMEOUT_S:.0f} s") from None
    lines = out.decode(errors="replace").strip().splitlines()
    try:
        answer: dict[str, Any] = json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError):
        tail = err.decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
        raise WorkerError(f"the analysis of {task_file} failed: {tail[0]}") from None
    return answer


class AnalysisCache:
    """One analysis per task file content: a run asks for proposals on the same task many times."""

    def __init__(self) -> None:
        self._cache: dict[str, Analysis] = {}

    def get(self, task: Task) -> Analysis:
        source = task.task_file.read_text()
        extra = [dict(s) for s in task.spec.extra_sizes]
        key = hashlib.sha256((source + json.dumps(extra, sort_keys=True)).encode()).hexdigest()
        if key not in self._cache:
            self._cache[key] = parse_analysis(source, run_child(task.task_file, extra))
        return self._cache[key]
