"""Secrets in the environment: gone from os.environ, /proc/self/environ and memory."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid
from typing import Any

import pytest
from conftest import TEST_UID, Ctx, Sandboxer


def test_inherited_environment_is_scrubbed(sbx: Sandboxer, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = f"assay-secret-{uuid.uuid4().hex}"
    monkeypatch.setenv("ASSAY_TEST_SECRET", secret)

    def attack(ctx: Ctx) -> dict[str, Any]:
        with open("/proc/self/environ", "rb") as f:
            block = f.read()
        return {
            "in_os_environ": "ASSAY_TEST_SECRET" in os.environ or secret in str(os.environ),
            "in_proc_environ": secret.encode() in block or b"ASSAY_TEST_SECRET" in block,
            "in_environb": any(secret.encode() in v for v in os.environb.values()),
            "env": dict(os.environ),
        }

    run = sbx.run(attack)
    assert run.result["in_os_environ"] is False
    assert run.result["in_proc_environ"] is False
    assert run.result["in_environb"] is False
    assert set(run.result["env"]) == {
        "HOME", "TMPDIR", "TORCH_EXTENSIONS_DIR", "PATH", "LANG", "MAX_JOBS",
        "OMP_NUM_THREADS", "MKL_NUM_THREADS", "PYTHONDONTWRITEBYTECODE",
    }  # fmt: skip


EXEC_SECRET_SCRIPT = r"""
import json, os, sys, time
from pathlib import Path
from assay import sandbox
scratch, uid = Path(sys.argv[1]), int(sys.argv[2])
pid = os.fork()
if pid == 0:
    if uid:
        os.setgroups([]); os.setresgid(uid, uid, uid); os.setresuid(uid, uid, uid)
    sandbox.enter(sandbox.SandboxConfig(scratch=scratch), keep_fds=[1])
    with open("/proc/self/environ", "rb") as f:
        block = f.read()
    print(json.dumps({"host_pid": sandbox.host_pid(), "block": block.decode("latin-1"),
                      "env": dict(os.environ)}), flush=True)
    time.sleep(60)
    os._exit(0)
os.waitpid(pid, 0)
"""


def _memory_hits(pid: int, needle: bytes) -> list[str]:
    """Writable or anonymous mappings of ``pid`` that contain ``needle`` (read from outside)."""
    hits = []
    with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", 0) as mem:
        for line in maps:
            fields = line.split()
            start, end = (int(x, 16) for x in fields[0].split("-"))
            name = fields[5] if len(fields) > 5 else ""
            if "r" not in fields[1] or name in ("[vvar]", "[vsyscall]", "[vvar_vclock]"):
                continue
            if name.startswith("/") and "w" not in fields[1]:
                continue  # read-only file mappings hold code, never the environment
            try:
                mem.seek(start)
                if needle in mem.read(end - start):
                    hits.append(line.strip())
            except OSError:
                continue
    return hits


def test_exec_time_secret_is_gone_from_memory(sbx: Sandboxer) -> None:
    """A secret in the exec-time environment: not in os.environ, /proc/self/environ or memory."""
    secret = f"assay-exec-secret-{uuid.uuid4().hex}"
    env = {"PATH": os.environ["PATH"], "ASSAY_EXEC_SECRET": secret}
    uid = TEST_UID if sbx.as_user else 0
    cmd = [sys.executable, "-c", EXEC_SECRET_SCRIPT, str(sbx.scratch()), str(uid)]
    with subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, text=True) as proc:
        assert proc.stdout is not None
        try:
            report = json.loads(proc.stdout.readline())
            hits = _memory_hits(report["host_pid"], secret.encode())
            os.kill(report["host_pid"], signal.SIGKILL)
            proc.wait(timeout=10)  # its relay cleans up, then it exits
        finally:
            proc.kill()
    assert secret not in report["block"] and "ASSAY_EXEC_SECRET" not in report["block"]
    assert secret not in str(report["env"])
    assert hits == [], hits
