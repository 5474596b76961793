"""Processes, signals and resource limits: what leaves the sandbox, and what stops it."""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from conftest import Ctx, Sandboxer

from assay import sandbox

PR_GET_PDEATHSIG = 2


def _try(action: Any) -> str:
    try:
        action()
    except Exception as e:
        return f"blocked: {type(e).__name__}: {e}"
    return "DONE"


def test_lockdown_forbids_fork_and_exec_but_not_threads(sbx: Sandboxer) -> None:
    def attack(ctx: Ctx) -> dict[str, Any]:
        if not ctx.has("seccomp"):
            return {"unconfined": True}
        before = subprocess.run(["g++", "--version"], capture_output=True, text=True).stdout.split("\n")[0]
        go, done = threading.Event(), threading.Event()
        early: dict[str, str] = {}

        def started_before_lockdown() -> None:  # the filter must reach existing threads (TSYNC)
            go.wait()
            early["fork"] = _try(lambda: os._exit(0) if os.fork() == 0 else None)
            done.set()

        threading.Thread(target=started_before_lockdown).start()
        memfd_build = _try(lambda: os.memfd_create("x"))  # memfd page cache escapes RLIMIT_AS (P3)
        sandbox.lockdown()
        go.set()
        done.wait(5)
        with ThreadPoolExecutor(2) as pool:
            squares = list(pool.map(lambda x: x * x, range(4)))
        return {
            "gxx_before_lockdown": before,
            "memfd_build": memfd_build,
            "fork": _try(os.fork),
            "subprocess": _try(lambda: subprocess.run(["/bin/true"])),
            "execv": _try(lambda: os.execv("/bin/true", ["true"])),
            "memfd": _try(lambda: os.memfd_create("x")),
            "socketpair_ok": len(socket.socketpair()) == 2,
            "thread_fork": early.get("fork", "no answer"),
            "squares": squares,
        }

    run = sbx.run(attack)
    if run.result.get("unconfined"):
        assert run.gap("no syscall filter")
        return
    assert run.result["gxx_before_lockdown"].startswith("g++"), run.result
    for key in ("memfd_build", "fork", "subprocess", "execv", "memfd", "thread_fork"):
        assert run.result[key].startswith("blocked"), (key, run.result)
    assert run.result["squares"] == [0, 1, 4, 9]


def test_signals_do_not_leave_the_sandbox(sbx: Sandboxer) -> None:
    me = os.getpid()
    sibling = subprocess.Popen(["sleep", "30"])

    def attack(ctx: Ctx) -> dict[str, Any]:
        if os.getpid() != 1 and "seccomp" not in ctx.isolation["layers"]:
            return {"skipped": "kill(-1) would reach the host"}  # never fire it unconfined
        return {
            "kill_parent": _try(lambda: os.kill(me, signal.SIGKILL)),
            "kill_sibling": _try(lambda: os.kill(sibling.pid, signal.SIGKILL)),
            "kill_all": _try(lambda: os.kill(-1, signal.SIGKILL)),
            "kill_group": _try(lambda: os.killpg(0, signal.SIGKILL)),
            "pdeathsig": ctypes.CDLL(None).prctl(PR_GET_PDEATHSIG, ctypes.byref(sig := ctypes.c_int())) or sig.value,
        }

    try:
        run = sbx.run(attack)
        assert sibling.poll() is None, "a sibling process was killed from inside the sandbox"
    finally:
        sibling.kill()
        sibling.wait()
    assert "skipped" not in run.result, run.result
    assert run.result["pdeathsig"] == signal.SIGKILL
    for key in ("kill_parent", "kill_sibling", "kill_all", "kill_group"):
        assert run.result[key].startswith("blocked"), (key, run.result)


def test_fork_bomb_is_capped_and_reaped(sbx: Sandboxer) -> None:
    limits = sandbox.Limits(processes=32)

    def attack(ctx: Ctx) -> dict[str, Any]:
        made, error = 0, ""
        for _ in range(200):
            try:
                pid = os.fork()
            except OSError as e:
                error = str(e)
                break
            if pid == 0:
                ctx.wait()  # until the pid namespace dies, or the test closes the pipe
                os._exit(0)
            made += 1
        return {"made": made, "error": error}

    run = sbx.run(attack, limits=limits, kill_after_result=True)
    if run.has("cgroup-pids") or run.isolation["uid"] != 0:
        assert run.result["made"] <= limits.processes, run.result
        assert "Resource temporarily unavailable" in run.result["error"]
    else:
        assert run.gap("RLIMIT_NPROC")
    assert os.WIFSIGNALED(run.status) and os.WTERMSIG(run.status) == signal.SIGKILL
    if not run.has("pidns"):
        assert run.gap("shares the host pid space")
        return
    assert len(run.alive_at_result) == run.result["made"] + 1
    assert run.survivors == []


def test_setsid_grandchild_dies_with_the_sandbox(sbx: Sandboxer) -> None:
    def attack(ctx: Ctx) -> dict[str, Any]:
        child = os.fork()
        if child == 0:
            os.setsid()
            if os.fork() == 0:
                ctx.wait()  # outlives everything unless the pid namespace takes it down
            os._exit(0)
        os.waitpid(child, 0)
        time.sleep(0.1)
        return {"tasks": len(os.listdir("/proc")), "pid": os.getpid()}

    run = sbx.run(attack, kill_after_result=True)
    if not run.has("pidns"):
        assert run.gap("shares the host pid space")  # P7: it lives until the test closes ctl
        return
    assert len(run.alive_at_result) == 2, run.alive_at_result  # pid 1 and the escaped grandchild
    assert run.survivors == []


def test_stop_and_continue_from_outside(sbx: Sandboxer) -> None:
    states: list[str] = []

    def state(pid: int) -> str:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat[stat.rindex(")") + 2]

    def wait_for(pid: int, want: bool) -> None:
        deadline = time.monotonic() + 5
        while (state(pid) == "T") != want and time.monotonic() < deadline:
            time.sleep(0.005)
        states.append(state(pid))

    def on_ready(ready: dict[str, Any], ctl: int) -> None:
        host = int(ready["host_pid"])
        os.kill(host, signal.SIGSTOP)
        wait_for(host, True)
        os.kill(host, signal.SIGCONT)
        wait_for(host, False)
        os.write(ctl, b"x")

    run = sbx.run(lambda ctx: ctx.wait() or {"resumed": True}, on_ready=on_ready)
    assert states[0] == "T" and states[1] != "T", states
    assert run.result == {"event": "result", "resumed": True}


def test_exit_status_reaches_the_forker(sbx: Sandboxer) -> None:
    exited = sbx.run(lambda ctx: os._exit(3))
    assert os.WIFEXITED(exited.status) and os.WEXITSTATUS(exited.status) == 3

    killed = sbx.run(
        lambda ctx: ctx.wait() or {},
        on_ready=lambda ready, ctl: os.kill(int(ready["host_pid"]), signal.SIGKILL),
    )
    assert os.WIFSIGNALED(killed.status) and os.WTERMSIG(killed.status) == signal.SIGKILL
    assert killed.survivors == []


def test_cpu_limit_kills_a_spinning_candidate(sbx: Sandboxer) -> None:
    def spin(ctx: Ctx) -> dict[str, Any]:
        while True:
            pass

    run = sbx.run(spin, limits=sandbox.Limits(cpu_seconds=2), timeout=20)
    assert os.WIFSIGNALED(run.status) and os.WTERMSIG(run.status) == signal.SIGKILL
    assert run.elapsed < 10


def test_memory_limit(sbx: Sandboxer) -> None:
    chunk = 256 << 20

    def attack(ctx: Ctx) -> dict[str, Any]:
        held, touched = [], 0
        try:
            for _ in range(40):  # 10 GiB
                block = bytearray(chunk)
                block[::4096] = b"\1" * (chunk // 4096)
                held.append(block)
                touched += chunk
        except MemoryError:
            return {"touched": touched, "error": "MemoryError"}
        return {"touched": touched, "error": ""}

    run = sbx.run(attack, limits=sandbox.Limits(memory_bytes=2 << 30))
    assert run.result["error"] == "MemoryError", run.result
    assert run.result["touched"] < 2 << 30


def test_scratch_quota(sbx: Sandboxer) -> None:
    def attack(ctx: Ctx) -> dict[str, Any]:
        written, error = 0, ""
        block = b"\0" * (40 << 20)
        try:
            for i in range(20):
                with open(f"f{i}", "wb") as f:
                    f.write(block)
                written += len(block)
        except OSError as e:
            error = e.strerror or str(e)
        return {"written": written, "error": error}

    run = sbx.run(attack, limits=sandbox.Limits(scratch_bytes=256 << 20))
    if "tmpfs-scratch" in run.layers:
        assert run.result["error"] == "No space left on device", run.result
        assert run.result["written"] <= 256 << 20
    else:
        assert any("no disk quota" in gap for gap in run.isolation["gaps"])
