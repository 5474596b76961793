"""The reference and generator workers: trusted. Load the task; make inputs from secret seeds; run `Model`.

One evaluation has two of them: a generator, which only makes inputs (off the timing CPU), and a reference,
which only runs `Model` on the bytes it is sent, exactly as the candidate does, so that neither timed side does
work the other does not.

It never sees candidate code: it is forked from the clean zygote, and the candidate's process cannot reach it
(separate pid, network and mount namespaces; seccomp and Landlock on the candidate's side).
"""

from __future__ import annotations

import time
from pathlib import Path
from types import ModuleType
from typing import Any

from assay import sandbox
from assay.worker._boot import boot
from assay.worker._clocks import clock_for
from assay.worker._protocol import DTYPE_SIZES, recv, send
from assay.worker._serve import Caller, Channel, describe_exception, serve, write_tensor
from assay.worker._task_code import JSONABLE, init_inputs, load_module, make_inputs


class _Reference:
    def __init__(self, data_fd: int, module: ModuleType, defaults: dict[str, Any]) -> None:
        self.data_fd = data_fd
        self.module = module
        self.defaults = defaults
        self.caller: Caller | None = None  # None in the generator, which never runs Model

    def _apply_sizes(self, sizes: dict[str, int] | None) -> None:
        for name, value in self.defaults.items():
            setattr(self.module, name, value)
        for name, value in (sizes or {}).items():
            setattr(self.module, name, value)

    def gen(self, request: dict[str, Any]) -> dict[str, Any]:
        """Make one input set per seed and write its tensors into the data channel from `offset` on."""
        offset = int(request["offset"])
        calls: list[list[dict[str, Any]]] = []
        self._apply_sizes(request.get("sizes"))
        try:
            for seed in request["seeds"]:
                specs: list[dict[str, Any]] = []
                for value in make_inputs(self.module, int(seed)):
                    if isinstance(value, JSONABLE):
                        specs.append({"scalar": value})
                        continue
                    t = value.detach().contiguous()
                    dtype = str(t.dtype).removeprefix("torch.")
                    if dtype not in DTYPE_SIZES:
                        raise TypeError(f"get_inputs() returned a tensor of unsupported dtype {t.dtype}")
                    nbytes = t.numel() * DTYPE_SIZES[dtype]
                    write_tensor(self.data_fd, t, offset)
                    specs.append({"dtype": dtype, "shape": list(t.shape), "offset": offset, "nbytes": nbytes})
                    offset += nbytes
                calls.append(specs)
        finally:
            self._apply_sizes(None)
        return {"calls": calls, "end": offset}

    def run(self, request: dict[str, Any]) -> dict[str, Any] | bytes:
        assert self.caller is not None, "the generator runs no calls"
        return self.caller.run(request)

    def layout(self, request: dict[str, Any]) -> dict[str, Any]:
        assert self.caller is not None, "the generator runs no calls"
        return self.caller.layout(request)


def main(fds: list[int], config: dict[str, Any]) -> None:
    fd_in, fd_out, data_fd = fds
    if not boot(fds, config):
        return
    request = recv(fd_in)
    try:
        module = load_module(Path(request["task_file"]), "assay_task")
        sizes: dict[str, int] = request.get("sizes") or {}
        unknown = sorted(set(sizes) - set(vars(module)))
        if unknown:
            raise NameError(f"task has no module-level constant {', '.join(unknown)} to resize")
        defaults = {name: getattr(module, name) for spec in request.get("extra_sizes", []) for name in spec}
        for name, value in sizes.items():
            setattr(module, name, value)
        defaults.update({name: getattr(module, name) for name in sizes})
        init = init_inputs(module, int(request["weight_seed"]))
        t0 = time.perf_counter()
        reference = _Reference(data_fd, module, defaults)
        if request.get("model", True):
            device = str(request.get("device", "cpu"))
            model = module.Model(*init)
            if device != "cpu":
                model = model.to(device)
            reference.caller = Caller(Channel(data_fd), model, clock_for(device))
        construct_s = time.perf_counter() - t0
        sandbox.lockdown()
    except BaseException as exc:
        send(fd_out, {**describe_exception(exc), "stage": "load"})
        return
    send(fd_out, {"ok": "ready", "init_inputs": init, "construct_s": construct_s})
    serve(fd_in, fd_out, {"gen": reference.gen, "run": reference.run, "layout": reference.layout})
