"""The call loop shared by the reference and the candidate worker.

Runs INSIDE the sandbox for candidates. The clocks (`_clocks.py`) and the tensor methods used to capture
outputs are bound at import, before any candidate code exists in the process; still, once the candidate
is imported this code may be tampered with, which is why the orchestrator checks every output itself and
cross-checks these times against its own wall clock.
"""

from __future__ import annotations

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

TORCH_DTYPES: dict[str, torch.dtype] = {name: getattr(torch, name) for name in DTYPE_SIZES}


def byte_view(t: torch.Tensor) -> np.ndarray:
    """The raw bytes of a contiguous CPU tensor as a uint8 array sharing its memory (bfloat16 included)."""
    view: np.ndarray = _numpy(_view(_reshape(t, (-1,)), torch.uint8))
    return view


def _pread_into(fd: int, buf: np.ndarray, offset: int) -> None:
    view = memoryview(buf.data).cast("B")
    done = 0
    while done < len(view):
        n = os.preadv(fd, [view[done:]], offset + done)
        if n <= 0:
            raise OSError("short read from the data channel")
        done += n


def _pwrite_from(fd: int, buf: np.ndarray, offset: int) -> None:
    view = memoryview(buf.data).cast("B")
    done = 0
    while done < len(view):
        done += os.pwrite(fd, view[done:], offset + done)


def read_args(fd: int, specs: list[dict[str, Any]]) -> list[Any]:
    """Fresh tensors (new allocations every call) filled from the data channel, plus plain scalars."""
    args: list[Any] = []
    for spec in specs:
        if "scalar" in spec:
            args.append(spec["scalar"])
            continue
        t = torch.empty(spec["shape"], dtype=TORCH_DTYPES[spec["dtype"]])
        _pread_into(fd, byte_view(t), spec["offset"])
        args.append(t)
    return args


def write_tensor(fd: int, t: torch.Tensor, offset: int) -> None:
    _pwrite_from(fd, byte_view(t), offset)


def _inputs_changed(fd: int, args: list[Any], specs: list[dict[str, Any]]) -> bool:
    for arg, spec in zip(args, specs, strict=True):
        if "scalar" in spec:
            continue
        if type(arg) is not _TENSOR or list(arg.shape) != spec["shape"]:
            return True
        pristine = np.empty(spec["nbytes"], dtype=np.uint8)
        _pread_into(fd, pristine, spec["offset"])
        if not np.array_equal(byte_view(_contiguous(arg)), pristine):
            return True
    return False


def _describe_output(out: object, device: torch.device) -> dict[str, Any] | None:
    """None when `out` can be captured as bytes; otherwise why not."""
    if type(out) is not _TENSOR:
        if isinstance(out, _TENSOR):
            return {"error": "tensor-subclass", "detail": f"returned an instance of {type(out).__qualname__}"}
        return {"error": "not-a-tensor", "detail": f"returned {type(out).__qualname__}, not a torch.Tensor"}
    if object.__getattribute__(out, "__dict__"):
        keys = sorted(object.__getattribute__(out, "__dict__"))[:5]
        return {"error": "tensor-subclass", "detail": f"output tensor carries instance attributes {keys}"}
    assert isinstance(out, torch.Tensor)
    if out.device.type != device.type or out.layout != torch.strided:
        return {"error": "bad-output", "detail": f"output is on {out.device} with layout {out.layout}"}
    if str(out.dtype).removeprefix("torch.") not in DTYPE_SIZES:
        return {"error": "bad-output", "detail": f"unsupported output dtype {out.dtype}"}
    return None


def run_calls(
    fd: int,
    model: Callable[..., Any],
    calls: list[dict[str, Any]],
    *,
    check_inputs: bool,
    clock: CpuClock | CudaClock | None = None,
) -> dict[str, Any]:
    """Run each call on fresh inputs, time it, and capture its output bytes at return.

    The timed region covers the call and, for a plain tensor, `contiguous()`: a strided or expanded view
    must be materialized inside the timed region, not later by the copy-out.
    """
    clock = clock or CpuClock()
    device = clock.device if isinstance(clock, CudaClock) else torch.device("cpu")
    times: list[float] = []
    host: list[float] = []
    outputs: list[dict[str, Any]] = []
    mutated: list[bool] = []
    for call in calls:
        pristine = read_args(fd, call["inputs"])
        args = [a.to(device) if type(a) is _TENSOR else a for a in pristine] if device.type != "cpu" else pristine
        with torch.no_grad():
            out, seconds, host_seconds = clock.measure(model, args)
        times.append(seconds)
        host.append(host_seconds)
        problem = _describe_output(out, device)
        if problem is None:
            out = _detach(out).cpu()
            shape = list(out.shape)
            dtype = str(out.dtype).removeprefix("torch.")
            nbytes = out.numel() * DTYPE_SIZES[dtype]
            desc: dict[str, Any] = {"dtype": dtype, "shape": shape}
            if call["out_nbytes"] is None or nbytes == call["out_nbytes"]:
                write_tensor(fd, out, call["out_offset"])
            else:
                desc["skipped"] = True
            outputs.append(desc)
        else:
            outputs.append(problem)
        after = [a.cpu() if type(a) is _TENSOR else a for a in args] if device.type != "cpu" else args
        mutated.append(check_inputs and _inputs_changed(fd, after, call["inputs"]))
        del out, args, pristine, after
    return {"times": times, "host_times": host, "outputs": outputs, "mutated": mutated}


def describe_exception(exc: BaseException) -> dict[str, Any]:
    """A bounded, JSON-safe description of a failure (never the object itself)."""
    kind = "memory" if isinstance(exc, MemoryError) or "can't allocate memory" in str(exc) else "exception"
    return {"error": kind, "type": type(exc).__name__, "detail": str(exc)[:1500]}


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
