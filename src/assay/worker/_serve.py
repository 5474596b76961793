"""The call loop shared by the reference and the candidate worker.

Runs INSIDE the sandbox for candidates. Once the candidate is imported, this code may be tampered with, so it
decides nothing: the orchestrator times each block of calls with its own clock, reads every output out of the
worker's memory itself, and checks the inputs for changes itself. What this loop must do is keep its own work
per call small and the same for every candidate, so that the time the orchestrator measures is the call's cost:
inputs are tensors that view the shared memory in place (no copy in), and the output is not copied at all: the
reply gives its address, and the orchestrator copies it out of this process (`process_vm_readv`) outside the
timed window. A worker that replaces this loop can save only what the loop costs (bench/worker_overhead.py).
"""

from __future__ import annotations

import mmap
import os
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from assay.worker._clocks import CpuClock, CudaClock
from assay.worker._protocol import DTYPE_SIZES, send, send_body

_TENSOR = torch.Tensor
_reshape = torch.Tensor.reshape
_view = torch.Tensor.view
_numpy = torch.Tensor.numpy
_data_ptr = torch.Tensor.data_ptr

TORCH_DTYPES: dict[str, torch.dtype] = {name: getattr(torch, name) for name in DTYPE_SIZES}


def byte_view(t: torch.Tensor) -> np.ndarray:
    """The raw bytes of a contiguous CPU tensor as a uint8 array sharing its memory (bfloat16 included)."""
    view: np.ndarray = _numpy(_view(_reshape(t, (-1,)), torch.uint8))
    return view


def write_tensor(fd: int, t: torch.Tensor, offset: int) -> None:
    """pwrite a contiguous tensor's bytes at `offset` (the generator's way: its memfd is not mapped)."""
    view = memoryview(byte_view(t).data).cast("B")
    done = 0
    while done < len(view):
        done += os.pwrite(fd, view[done:], offset + done)


class Channel:
    """The worker's memfd, mapped: each call's inputs are tensors viewing it in place."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self._map: mmap.mmap | None = None
        self._bytes: torch.Tensor | None = None
        self._views: dict[tuple[int, str, tuple[int, ...]], torch.Tensor] = {}

    def ensure(self, capacity: int) -> None:
        """Map (again) when the orchestrator has grown the memfd to `capacity` bytes."""
        if self._map is not None and len(self._map) >= capacity:
            return
        self._bytes = None
        self._views.clear()
        if self._map is not None:
            self._map.close()
        self._map = mmap.mmap(self.fd, capacity)
        self._bytes = torch.frombuffer(self._map, dtype=torch.uint8)

    def tensor(self, spec: dict[str, Any]) -> torch.Tensor:
        """A fresh tensor object viewing the spec's bytes (a candidate may keep or alter the one it was given)."""
        dtype = TORCH_DTYPES[spec["dtype"]]
        if spec["nbytes"] == 0:
            return torch.empty(spec["shape"], dtype=dtype)
        assert self._bytes is not None, "the channel is not mapped"
        region = self._bytes[spec["offset"] : spec["offset"] + spec["nbytes"]]
        return _view(_view(region, dtype), spec["shape"])

    def args(self, specs: list[dict[str, Any]]) -> list[Any]:
        return [spec["scalar"] if "scalar" in spec else self.tensor(spec) for spec in specs]


def _describe_output(out: object, device: torch.device) -> dict[str, Any]:
    """Why `out` cannot be captured as bytes (the slow path, for outputs the fast checks refused)."""
    if type(out) is not _TENSOR:
        if isinstance(out, _TENSOR):
            return {"error": "tensor-subclass", "detail": f"returned an instance of {type(out).__qualname__}"}
        return {"error": "not-a-tensor", "detail": f"returned {type(out).__qualname__}, not a torch.Tensor"}
    attributes = object.__getattribute__(out, "__dict__")
    overrides = sorted(name for name, value in attributes.items() if callable(value))
    if overrides:
        # Methods replaced on the instance (a lazy .double(), a lying __eq__). Plain data attributes, such as
        # the ones torch.compile leaves on its outputs, change nothing about the bytes and are allowed.
        return {"error": "tensor-subclass", "detail": f"output tensor overrides methods {overrides[:5]}"}
    assert isinstance(out, torch.Tensor)
    if out.device.type != device.type or out.layout != torch.strided:
        return {"error": "bad-output", "detail": f"output is on {out.device} with layout {out.layout}"}
    return {"error": "bad-output", "detail": f"unsupported output dtype {out.dtype}"}


class Caller:
    """Runs the calls. `layout` builds every call's argument tensors once per layout of the channel (the same
    for every round of a measurement); `run` then runs one call, keeps its output alive until the next request
    (the orchestrator reads it at its address, at return and once more when the worker is frozen), and answers
    with a reply built by formatting, not by a JSON encoder: the loop's own work per call is what a candidate
    could save by replacing it, so it is kept as small as Python allows (bench/worker_overhead.py)."""

    def __init__(self, channel: Channel, model: Callable[..., Any], clock: CpuClock | CudaClock | None) -> None:
        self.channel = channel
        self.model = model
        self.clock = clock or CpuClock()
        self.device = self.clock.device if isinstance(self.clock, CudaClock) else torch.device("cpu")
        self.on_cpu = self.device.type == "cpu"
        self.slots: list[list[Any]] = []
        self.kept: Any = None
        torch.set_grad_enabled(False)  # once, not a no_grad context per call

    def layout(self, request: dict[str, Any]) -> dict[str, Any]:
        self.kept = None
        self.slots = []
        self.channel.ensure(int(request["capacity"]))
        self.slots = [self.channel.args(specs) for specs in request["calls"]]
        return {"id": request["id"]}

    def run(self, request: dict[str, Any]) -> dict[str, Any] | bytes:
        self.kept = None
        args = self.slots[request["slot"]]
        if not self.on_cpu:
            args = [a.to(self.device) if type(a) is _TENSOR else a for a in args]
        out, seconds, host = self.clock.measure(self.model, args)
        name = _DTYPE_NAMES.get(out.dtype) if type(out) is _TENSOR else None
        if name is None or _overrides(out) or out.is_cuda == self.on_cpu or out.layout is not _STRIDED:
            return {
                "id": request["id"],
                "time": seconds,
                "host_time": host,
                "output": _describe_output(out, self.device),
            }
        if not self.on_cpu:
            out = out.cpu()
        self.kept = out
        return (
            f'{{"id":{request["id"]},"time":{seconds!r},"host_time":{host!r},"output":{{"dtype":"{name}",'
            f'"shape":{list(out.shape)},"address":{_data_ptr(out)}}}}}'
        ).encode()


def _overrides(out: torch.Tensor) -> bool:
    attributes = object.__getattribute__(out, "__dict__")
    return bool(attributes) and any(callable(v) for v in attributes.values())


_STRIDED = torch.strided
_DTYPE_NAMES: dict[torch.dtype, str] = {dtype: name for name, dtype in TORCH_DTYPES.items()}


def describe_exception(exc: BaseException) -> dict[str, Any]:
    """A bounded, JSON-safe description of a failure (never the object itself): the head and the tail of the
    message, where a compiler puts its command line and its error."""
    kind = "memory" if isinstance(exc, MemoryError) or "can't allocate memory" in str(exc) else "exception"
    # Lone surrogates (a file name decoded with surrogateescape) are not valid JSON text once escaped; both ends
    # of a long message are kept, since a compiler's error comes after its command line (cut again outside).
    text = str(exc).encode("utf-8", "backslashreplace").decode("utf-8")
    detail = text if len(text) <= 4000 else f"{text[:1000]} ... ({len(text) - 4000} characters cut) ... {text[-3000:]}"
    return {"error": kind, "type": type(exc).__name__[:200], "detail": detail}


Handler = Callable[[dict[str, Any]], dict[str, Any] | bytes]


def serve(fd_in: int, fd_out: int, handlers: dict[str, Handler]) -> None:
    """Answer requests until the orchestrator closes the channel or sends an unknown op."""
    from assay.worker._protocol import ProtocolError, recv

    while True:
        try:
            request = recv(fd_in)
        except ProtocolError:
            return
        handler = handlers.get(str(request.get("op")))
        if handler is None:
            return
        try:
            reply = handler(request)
        except BaseException as exc:
            reply = {**describe_exception(exc), "stage": "call"}
        if isinstance(reply, bytes):
            send_body(fd_out, reply)
        else:
            send(fd_out, reply)
