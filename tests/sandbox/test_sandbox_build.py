"""What a legitimate candidate needs must keep working: torch, threads, compilers, dlopen."""

from __future__ import annotations

import ctypes
import os
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import torch
import torch.utils.cpp_extension
from conftest import Ctx, Sandboxer

from assay import sandbox

ADD_ONE_C = 'extern "C" int add_one(int x) { return x + 1; }\n'
ADD_ONE_TORCH = "torch::Tensor add_one(torch::Tensor x) { return x + 1; }\n"


def test_torch_and_threads_work_after_lockdown(sbx: Sandboxer) -> None:
    def attack(ctx: Ctx) -> dict[str, Any]:
        torch.set_num_threads(2)
        a = torch.randn(512, 512)
        b = a @ a.T
        return {
            "ones": (torch.ones(3) + 1).tolist(),
            "matmul_ok": bool(torch.allclose(b, b.T, atol=1e-3)),
            "threads": torch.get_num_threads(),
            "tasks": len(os.listdir("/proc/self/task")),
        }

    run = sbx.run(attack, lockdown=True)
    assert run.result["ones"] == [2.0, 2.0, 2.0], run.result
    assert run.result["matmul_ok"] is True
    assert run.result["threads"] == 2


def test_compile_in_scratch_then_load_after_lockdown(sbx: Sandboxer) -> None:
    """The non-slow proof that g++ runs in the build phase and its output can be dlopen'ed."""

    def attack(ctx: Ctx) -> dict[str, Any]:
        Path("add.cpp").write_text(ADD_ONE_C)
        build = subprocess.run(
            ["g++", "-shared", "-fPIC", "-O1", "-o", "libadd.so", "add.cpp"], capture_output=True, text=True
        )
        if build.returncode:
            return {"error": build.stderr[-2000:]}
        lib = ctypes.CDLL(os.path.abspath("libadd.so"))
        before = lib.add_one(41)
        sandbox.lockdown()
        try:
            subprocess.run(["g++", "--version"], capture_output=True)
            exec_after = "DONE"
        except OSError as e:
            exec_after = f"blocked: {e}"
        return {"before": before, "after": lib.add_one(1), "exec_after": exec_after}

    run = sbx.run(attack)
    assert run.result.get("before") == 42, run.result
    assert run.result["after"] == 2
    assert run.result["exec_after"].startswith("blocked")


@pytest.mark.slow  # 27-33 s on an idle 2-core VM, 46 s under load; the g++ test above stays fast
def test_load_inline_builds_in_scratch(sbx: Sandboxer) -> None:
    if sbx.as_user:
        pytest.skip("Python headers live under /root/.pyenv, unreadable to other uids on this image (P13)")

    def attack(ctx: Ctx) -> dict[str, Any]:
        start = time.monotonic()
        module = torch.utils.cpp_extension.load_inline(
            name="assay_sbx_add_one",
            cpp_sources=ADD_ONE_TORCH,
            functions=["add_one"],
            extra_cflags=["-O0"],  # 27 s instead of 33 s here: only header parsing is left
        )
        built = time.monotonic() - start
        sandbox.lockdown()
        out = module.add_one(torch.arange(3.0))
        return {
            "out": out.tolist(),
            "build_s": built,
            "artifacts": sorted(p.name for p in Path(os.environ["TORCH_EXTENSIONS_DIR"]).rglob("*.so")),
        }

    run = sbx.run(attack, limits=sandbox.Limits(memory_bytes=16 << 30), timeout=240)
    assert run.result.get("out") == [1.0, 2.0, 3.0], run.result
    assert run.result["artifacts"], "the extension must have been built inside scratch"
