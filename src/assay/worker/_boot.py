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


def _inductor_cache_dir() -> str:
    """inductor's own `default_cache_dir()`, from its file: importing the `torch._inductor` package costs 0.9 s."""
    import importlib.util

    path = Path(torch.__file__).parent / "_inductor" / "runtime" / "cache_dir_utils.py"
    spec = importlib.util.spec_from_file_location("_assay_inductor_cache_dir", path)
    if spec is None or spec.loader is None:
        raise OSError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return str(module.default_cache_dir())


def _link_compile_cache(lent: dict[str, str | None] | None) -> None:
    """Points the compilers at the trusted, read-only precompiled headers (evaluate/_compile_cache.py): links in
    inductor's own header folder, and the torch/extension.h.gch folder on CPATH.

    Runs after the sandbox is entered and before any candidate code exists: inductor's folder is the sandbox's own,
    so a header the cache lacks is built there as before. A link that cannot be made costs only the cache's benefit.
    """
    if not lent:
        return
    if lent.get("include"):
        os.environ["CPATH"] = str(lent["include"])
    folder = lent.get("inductor")
    if not folder:
        return
    try:
        headers = Path(_inductor_cache_dir()) / "precompiled_headers"
        headers.mkdir(parents=True, exist_ok=True)
        for path in Path(folder).iterdir():
            (headers / path.name).symlink_to(path)
    except (OSError, ImportError, AttributeError):
        pass


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
    _link_compile_cache(config.get("compile_cache"))
    send(fd_out, {"ok": "hello", "pid": sandbox.host_pid(), "isolation": isolation.as_dict()})
    return True
