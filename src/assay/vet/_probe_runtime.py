"""Running a task's own code (trusted) inside a probe child: load, build, make inputs, call, time.

Mirrors the evaluator's reference worker (`assay.worker._reference`) on every point that changes outputs:
torch, numpy and random seeded together before `get_init_inputs()`/`Model(...)` and before `get_inputs()`,
calls under `torch.no_grad()`, no `.eval()`, and an output that must be exactly a CPU `torch.Tensor`.
"""

from __future__ import annotations

import hashlib
import json
import os
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import torch

from assay.worker import _task_code as task_code


class ProbeFailure(Exception):
    """The task itself failed: becomes a rejection with `code` and a one-sentence `message`."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class Reporter:
    """Writes progress and the final result to the probe zygote, one JSON line each."""

    def __init__(self, fd: int) -> None:
        self._fd = fd

    def _write(self, message: dict[str, Any]) -> None:
        data = (json.dumps(message) + "\n").encode()
        while data:
            data = data[os.write(self._fd, data) :]

    def stage(self, name: str, deadline_s: float | None = None) -> None:
        """Enter a stage; the zygote kills this process if the stage outlives `deadline_s`."""
        self._write({"progress": name, "deadline_s": deadline_s})

    def result(self, result: dict[str, Any]) -> None:
        self._write({"result": result})


def describe(exc: BaseException) -> str:
    """`Type: first line of the message`, bounded; SystemExit included (task code may call sys.exit)."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:300]}" if text else type(exc).__name__


def load_module(task_file: str) -> ModuleType:
    """Import task.py under a private name, with its folder importable, as the evaluator's workers do.

    Raises:
        ProbeFailure: the import raised.
    """
    path = Path(task_file)
    try:
        return task_code.load_module(path, "assay_task")
    except (Exception, SystemExit) as exc:
        raise ProbeFailure("not_loading", f"importing {path.name} raised {describe(exc)}") from None


seed_everything = task_code.seed_everything


def build(module: ModuleType, seed: int) -> torch.nn.Module:
    """`Model(*get_init_inputs())` with every RNG seeded, as the reference worker builds it.

    Raises:
        ProbeFailure: get_init_inputs() or the constructor raised, or an init input cannot cross as JSON.
    """
    try:
        init = task_code.init_inputs(module, seed)
    except TypeError as exc:  # the evaluator sends init inputs to the candidate as JSON; a tensor cannot go
        raise ProbeFailure("not_loading", str(exc)) from None
    except (Exception, SystemExit) as exc:
        raise ProbeFailure("not_loading", f"get_init_inputs() raised {describe(exc)}") from None
    try:
        model: torch.nn.Module = module.Model(*init)
    except (Exception, SystemExit) as exc:
        raise ProbeFailure("not_loading", f"Model(*get_init_inputs()) raised {describe(exc)}") from None
    return model


def make_inputs(module: ModuleType, seed: int) -> list[Any]:
    """`get_inputs()` with every RNG seeded, as the generator worker draws them.

    Raises:
        ProbeFailure: get_inputs() raised or returned something other than tensors and plain scalars.
    """
    try:
        return task_code.make_inputs(module, seed)
    except (Exception, SystemExit) as exc:
        raise ProbeFailure("not_loading", f"get_inputs() raised {describe(exc)}") from None


def call(model: torch.nn.Module, inputs: list[Any]) -> tuple[torch.Tensor, float]:
    """One forward call under no_grad, timed the way the evaluator times it (contiguous() included).

    Raises:
        ProbeFailure: forward raised or returned something other than a plain CPU tensor.
    """
    with torch.no_grad():
        start = time.perf_counter()
        try:
            out = model(*inputs)
        except (Exception, SystemExit) as exc:
            raise ProbeFailure("not_loading", f"forward raised {describe(exc)}") from None
        if type(out) is torch.Tensor:
            out = out.contiguous()
        seconds = time.perf_counter() - start
    if type(out) is not torch.Tensor:
        raise ProbeFailure("not_loading", f"forward returned a {type(out).__name__}, not a torch.Tensor")
    if out.device.type != "cpu" or out.layout != torch.strided:
        raise ProbeFailure("not_loading", f"forward returned a tensor on {out.device} with layout {out.layout}")
    return out.detach(), seconds


def median_call_s(model: torch.nn.Module, inputs: list[Any], budget_s: float, max_calls: int = 200) -> float:
    """Median time of at least 3 calls, more while they fit in `budget_s` (fast calls need many samples)."""
    times: list[float] = []
    while len(times) < 3 or (sum(times) < budget_s and len(times) < max_calls):
        times.append(call(model, inputs)[1])
    return statistics.median(times)


def as_float64(t: torch.Tensor) -> np.ndarray:
    """A float64 (complex128 for complex) numpy copy: the form `assay.verify.compare` works on."""
    target = torch.complex128 if t.is_complex() else torch.float64
    return t.detach().to(target).numpy()


def digest(t: torch.Tensor) -> str:
    """Hash of dtype, shape and raw bytes: equal digests mean bit-identical outputs."""
    flat = t.detach().contiguous().reshape(-1).view(torch.uint8).numpy()
    return hashlib.sha256(f"{t.dtype}{tuple(t.shape)}".encode() + flat.tobytes()).hexdigest()


def state_digest(model: torch.nn.Module) -> str:
    h = hashlib.sha256()
    for name, t in model.state_dict().items():
        h.update(name.encode() + digest(t).encode())
    return h.hexdigest()


@dataclass(frozen=True)
class Footprint:
    """Bytes one call touches at least (parameters, buffers, inputs, output) and the output's shape."""

    nbytes: int
    out_shape: tuple[int, ...] | None
    out_dtype: torch.dtype | None


def meta_footprint(module: ModuleType) -> Footprint | None:
    """Shapes on the meta device: nothing is allocated, so a 6 GB problem costs microseconds.

    None when construction or get_inputs() fails on meta; out_shape None when only forward does (an op
    without a meta kernel, or one whose output shape depends on the data).
    """
    try:
        with torch.device("meta"):
            model = build(module, 0)
            inputs = make_inputs(module, 1)
    except Exception:  # ProbeFailure included: the caller decides what a failure on meta means
        return None
    tensors = [*model.parameters(), *model.buffers(), *(v for v in inputs if isinstance(v, torch.Tensor))]
    nbytes = sum(t.numel() * t.element_size() for t in tensors)
    try:
        with torch.device("meta"), torch.no_grad():
            out = model(*inputs)
    except Exception:
        return Footprint(nbytes, None, None)
    if type(out) is not torch.Tensor:
        return Footprint(nbytes, None, None)
    return Footprint(nbytes + out.numel() * out.element_size(), tuple(out.shape), out.dtype)
