"""Start-up shared by both workers: silence stdio, enter the sandbox, say hello with the host pid.

The reference worker is trusted, but it is sandboxed exactly like the candidate anyway: the same cgroup,
seccomp filter, namespaces and CPU, so that neither side pays an overhead the other does not (a memory
cgroup makes page faults dearer; seccomp makes syscalls dearer). Timing compares like with like.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch

from assay import sandbox
from assay.worker._protocol import send
from assay.worker._serve import describe_exception


def _silence_stdio() -> None:
    # Whatever a worker prints is discarded: a flood costs it nothing and costs us nothing.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    os.close(devnull)


def boot(fds: list[int], config: dict[str, Any]) -> bool:
    """Enter the sandbox and send hello; False (after reporting why) if the sandbox could not start."""
    _, fd_out, _ = fds
    _silence_stdio()
    try:
        isolation = sandbox.enter(
            sandbox.SandboxConfig(
                scratch=Path(config["scratch"]),
                limits=sandbox.Limits(**config.get("limits", {})),
                readable=tuple(Path(p) for p in config.get("readable", ())),
                cpu=config.get("cpu"),
                require=config.get("require"),
                devices=tuple(Path(p) for p in config.get("devices", ())),
            ),
            keep_fds=fds,
        )
    except BaseException as exc:
        send(fd_out, {**describe_exception(exc), "stage": "sandbox"})
        return False
    torch.set_num_threads(1)
    send(fd_out, {"ok": "hello", "pid": sandbox.host_pid(), "isolation": isolation.as_dict()})
    return True
