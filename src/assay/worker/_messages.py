"""The typed messages between the orchestrator and its workers (the JSON bodies that `_protocol` frames).

Both sides read this module as the protocol's definition. Workers write their replies as plain dicts of this
shape (the candidate's process may be tampered with, so nothing it sends is trusted); the orchestrator
validates every reply against these strict models before it reads a field: unknown keys, wrong types,
non-finite numbers, out-of-range sizes, oversized text and malformed JSON (deep nesting, invalid escapes)
all fail validation, which for a candidate is a `protocol-violation` verdict, never an exception in trusted
code. Imports pydantic only: no torch, no numpy.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from assay.worker._protocol import DTYPE_SIZES, ProtocolError

Dtype = Literal[
    "float64", "float32", "float16", "bfloat16", "int64", "int32", "int16", "int8", "uint8", "bool",
    "complex64", "complex128",
]  # fmt: skip
assert set(Dtype.__args__) == set(DTYPE_SIZES)  # type: ignore[attr-defined]

Dim = Annotated[int, Field(ge=0, le=1 << 40)]
Shape = Annotated[list[Dim], Field(max_length=16)]
Seconds = Annotated[float, Field(ge=0.0, le=1e6, allow_inf_nan=False)]
Text = Annotated[str, Field(max_length=8000)]
Name = Annotated[str, Field(max_length=200)]


class _Message(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


# ---------------------------------------------------------------- orchestrator -> worker
class TensorSpec(_Message):
    """A tensor argument: its bytes lie in the worker's channel at `offset`."""

    dtype: Dtype
    shape: Shape
    offset: Annotated[int, Field(ge=0)]
    nbytes: Annotated[int, Field(ge=0)]


class ScalarSpec(_Message):
    scalar: int | float | bool | str | None


InputSpec = TensorSpec | ScalarSpec


class Layout(_Message):
    """Where each call's inputs lie in the channel, for the calls of the blocks to come (`calls[slot]`). Sent
    when it changes (a new block size or new sizes), never between the calls of a block. Answered by `LaidOut`."""

    op: Literal["layout"] = "layout"
    id: int
    calls: list[list[InputSpec]]
    capacity: int


class Run(_Message):
    """Run one call on the inputs now in the channel at `slot` of the layout; `id` is echoed so that a reply
    cannot answer another call."""

    op: Literal["run"] = "run"
    id: int
    slot: Annotated[int, Field(ge=0)]


JsonValue = int | float | bool | str | None | list[Any]


class LoadTask(_Message):
    """To the generator and the reference: import the task at these sizes; build Model unless `model` is false."""

    op: Literal["load"] = "load"
    task_file: str
    sizes: dict[str, int]
    extra_sizes: list[dict[str, int]]
    weight_seed: int
    model: bool
    device: str


class LoadCandidate(_Message):
    """To the candidate's worker: its source, and what to construct ModelNew with."""

    op: Literal["load"] = "load"
    source: str
    init_inputs: list[JsonValue]
    weight_seed: int
    mutates_inputs: bool
    device: str


class Generate(_Message):
    """To the generator: one input set per seed, written into its channel from `offset` on."""

    op: Literal["gen"] = "gen"
    seeds: list[int]
    sizes: dict[str, int] | None
    offset: Annotated[int, Field(ge=0)]


# ---------------------------------------------------------------- worker -> orchestrator
class Hello(_Message):
    """A worker's first message, sent before any task or candidate code exists in it."""

    ok: Literal["hello"]
    pid: Annotated[int, Field(ge=1)]
    isolation: dict[str, Any]


class TaskReady(_Message):
    """The generator or the reference has loaded the task."""

    ok: Literal["ready"]
    init_inputs: list[JsonValue]
    construct_s: Seconds


class Generated(_Message):
    """Where the generator wrote each call's inputs, and the end of what it wrote."""

    calls: list[list[InputSpec]]
    end: Annotated[int, Field(ge=0)]


class Output(_Message):
    """A call's output: a plain, contiguous tensor at `address` in the worker's memory, kept alive until the
    worker's next request; the orchestrator copies it out itself."""

    dtype: Dtype
    shape: Shape
    address: Annotated[int, Field(ge=1, lt=1 << 64)]


class OutputProblem(_Message):
    """An output that cannot be captured as bytes (a subclass, not a tensor, on the wrong device)."""

    error: Literal["tensor-subclass", "not-a-tensor", "bad-output"]
    detail: Text


class Ran(_Message):
    """One call done. `time` is what the worker measured for the call (telemetry for the clock cross-check; the
    official sample is the orchestrator's), `host_time` the host clock around it (CUDA: side streams)."""

    id: int
    time: Seconds
    host_time: Seconds
    output: Output | OutputProblem


class Failure(_Message):
    """The worker caught an exception (or found no ModelNew) at a stage."""

    error: Literal["exception", "memory", "no-modelnew"]
    type: Name = ""
    detail: Text
    stage: Literal["sandbox", "import", "construct", "lockdown", "load", "call"]


class LaidOut(_Message):
    id: int


class Ready(_Message):
    """The candidate is imported, constructed and locked down."""

    ok: Literal["ready"]
    construct_s: Seconds


T = TypeVar("T")
_RAN: TypeAdapter[Ran | Failure] = TypeAdapter(Ran | Failure)
_READY: TypeAdapter[Ready | Failure] = TypeAdapter(Ready | Failure)
_LAID_OUT: TypeAdapter[LaidOut | Failure] = TypeAdapter(LaidOut | Failure)
_HELLO: TypeAdapter[Hello | Failure] = TypeAdapter(Hello | Failure)
_TASK_READY: TypeAdapter[TaskReady | Failure] = TypeAdapter(TaskReady | Failure)
_GENERATED: TypeAdapter[Generated | Failure] = TypeAdapter(Generated | Failure)


def _parse(adapter: TypeAdapter[T], body: bytes, what: str) -> T:
    try:
        return adapter.validate_json(body)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        # A union reports every member's errors; the member with the fewest is the one the reply meant to be.
        by_member: dict[object, list[Any]] = {}
        for error in errors:
            loc = error.get("loc", ())
            by_member.setdefault(loc[0] if len(loc) > 1 else None, []).append(error)
        first = min(by_member.values(), key=len)[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "message"
        raise ProtocolError(f"{what}: {where}: {first.get('msg', 'invalid')}") from None


def parse_ran(body: bytes) -> Ran | Failure:
    """A reply to `Run`. Raises ProtocolError when it is not exactly one of the two shapes."""
    return _parse(_RAN, body, "reply to a call")


def parse_ready(body: bytes) -> Ready | Failure:
    """The candidate worker's reply to its load request. Raises ProtocolError when malformed."""
    return _parse(_READY, body, "reply to the load request")


def parse_laid_out(body: bytes) -> LaidOut | Failure:
    """A reply to `Layout`. Raises ProtocolError when malformed."""
    return _parse(_LAID_OUT, body, "reply to the layout")


def parse_hello(body: bytes) -> Hello | Failure:
    return _parse(_HELLO, body, "the worker's hello")


def parse_task_ready(body: bytes) -> TaskReady | Failure:
    return _parse(_TASK_READY, body, "reply to the task's load request")


def parse_generated(body: bytes) -> Generated | Failure:
    return _parse(_GENERATED, body, "reply to the input request")
