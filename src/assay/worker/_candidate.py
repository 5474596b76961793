"""The candidate worker. Runs INSIDE the sandbox; after the candidate is imported, nothing here is trusted.

Order matters: the sandbox is entered before a byte of candidate code exists in the process; the candidate is
imported and constructed in the build phase (compilers may run, writing only to scratch); then `lockdown()`
forbids new processes, exec and sockets before the first call. Every call after that looks the same to the
candidate: there is no separate correctness, warm-up or timing phase to detect.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from assay import sandbox
from assay.worker._boot import boot
from assay.worker._clocks import clock_for
from assay.worker._protocol import recv, send
from assay.worker._serve import Caller, Channel, describe_exception, serve
from assay.worker._task_code import load_module, seed_everything


def main(fds: list[int], config: dict[str, Any]) -> None:
    fd_in, fd_out, data_fd = fds
    if not boot(fds, config):
        return
    request = recv(fd_in)
    path = Path.cwd() / "candidate.py"
    stage = "import"
    try:
        path.write_text(request["source"])
        module = load_module(path, "candidate")
        stage = "construct"
        model_cls = getattr(module, "ModelNew", None)
        if model_cls is None:
            send(
                fd_out,
                {"error": "no-modelnew", "stage": stage, "detail": "the candidate defines no ModelNew"},
            )
            return
        seed_everything(int(request["weight_seed"]))
        t0 = time.perf_counter()
        device = str(request.get("device", "cpu"))
        model = model_cls(*request["init_inputs"])
        if device != "cpu":
            model = model.to(device)
        clock = clock_for(device)
        construct_s = time.perf_counter() - t0
        stage = "lockdown"
        sandbox.lockdown()
    except BaseException as exc:
        send(fd_out, {**describe_exception(exc), "stage": stage})
        return
    send(fd_out, {"ok": "ready", "construct_s": construct_s})
    caller = Caller(Channel(data_fd), model, clock)
    serve(fd_in, fd_out, {"run": caller.run, "layout": caller.layout})
