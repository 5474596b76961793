"""The call loop shared by the reference and the candidate worker.

Runs INSIDE the sandbox for candidates. Once the candidate is imported, this code may be tampered with, so it
decides nothing: the orchestrator times each block of calls with its own clock, compares the output bytes,
and checks the inputs for changes itself. What this loop must do is keep its own work per call small and the
same for every candidate, so that the time the orchestrator measures is the call's cost: inputs are tensors that
view the shared memory in place (no copy in), and the output is one memcpy out.
"""

from __future__ import annotations

import mmap
import os
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from assay.worker._clocks import CpuClock, CudaClock
from assay.worker._protocol import DTYPE_SIZES, send

_TENSOR = torch.Tensor
_contiguous = torch.Tensor.contiguous
_detach = torch.Tensor.detach
_reshape = torch.Tensor.reshape
_view = torch.Tensor.view
_numpy = torch.Tensor.numpy
_copy = torch.Tensor.copy_

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
    """The worker's memfd, mapped: inputs are read in place, outputs written with one copy."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self._map: mmap.mmap | None = None
        self._bytes: torch.Tensor | None = None

    def ensure(self, capacity: int) -> None:
        """Map (again) when the orchestrator has grown the memfd to `capacity` bytes."""
        if self._map is not None and len(self._map) >= capacity:
            return
        self._bytes = None
        if self._map is not None:
            self._map.close()
        self._map = mmap.mmap(self.fd, capacity)
        self._bytes = torch.frombuffer(self._map, dtype=torch.uint8)

    def region(self, offset: int, nbytes: int) -> torch.Tensor:
        assert self._bytes is not None, "the channel is not mapped"
        return self._bytes[offset : offset + nbytes]

    def tensor(self, spec: dict[str, Any]) -> torch.Tensor:
        dtype = TORCH_DTYPES[spec["dtype"]]
        if spec["nbytes"] == 0:
            return torch.empty(spec["shape"], dtype=dtype)
        return _view(_view(self.region(spec["offset"], spec["nbytes"]), dtype), spec["shape"])

    def args(self, specs: list[dict[str, Any]]) -> list[Any]:
        return [spec["scalar"] if "scalar" in spec else self.tensor(spec) for spec in specs]

    def write(self, t: torch.Tensor, offset: int) -> None:
        flat = _view(_reshape(t, (-1,)), torch.uint8)
        _copy(self.region(offset, flat.numel()), flat)


def _describe_output(out: object, device: torch.device) -> dict[str, Any] | None:
    """None when `out` can be captured as bytes; otherwise why not."""
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
    if str(out.dtype).removeprefix("torch.") not in DTYPE_SIZES:
        return {"error": "bad-output", "detail": f"unsupported output dtype {out.dtype}"}
    return None


def run_calls(
    channel: Channel,
    model: Callable[..., Any],
    request: dict[str, Any],
    clock: CpuClock | CudaClock | None = None,
) -> dict[str, Any]:
    """Run each call of a block on its inputs and capture its output bytes at return."""
    channel.ensure(int(request["capacity"]))
    clock = clock or CpuClock()
    device = clock.device if isinstance(clock, CudaClock) else torch.device("cpu")
    times: list[float] = []
    host: list[float] = []
    outputs: list[dict[str, Any]] = []
    for call in request["calls"]:
        args = channel.args(call["inputs"])
        if device.type != "cpu":
            args = [a.to(device) if type(a) is _TENSOR else a for a in args]
        with torch.no_grad():
            out, seconds, host_seconds = clock.measure(model, args)
        times.append(seconds)
        host.append(host_seconds)
        problem = _describe_output(out, device)
        if problem is None:
            out = _detach(out).cpu()
            dtype = str(out.dtype).removeprefix("torch.")
            nbytes = out.numel() * DTYPE_SIZES[dtype]
            desc: dict[str, Any] = {"dtype": dtype, "shape": list(out.shape)}
            if call["out_nbytes"] is None or nbytes == call["out_nbytes"]:
                channel.write(out, call["out_offset"])
            else:
                desc["skipped"] = True
            outputs.append(desc)
        else:
            outputs.append(problem)
        del out, args
    return {"times": times, "host_times": host, "outputs": outputs}


def describe_exception(exc: BaseException) -> dict[str, Any]:
    """A bounded, JSON-safe description of a failure (never the object itself)."""
    kind = "memory" if isinstance(exc, MemoryError) or "can't allocate memory" in str(exc) else "exception"
    text = str(exc)  # both ends: a compiler's error comes after its command line (the orchestrator cuts again)
    detail = text if len(text) <= 4000 else f"{text[:1000]} ... ({len(text) - 4000} characters cut) ... {text[-3000:]}"
    return {"error": kind, "type": type(exc).__name__, "detail": detail}


Handler = Callable[[dict[str, Any]], dict[str, Any]]


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
            reply = describe_exception(exc)
        send(fd_out, reply)
