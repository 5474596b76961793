"""Harness for real-process sandbox tests: fork, enter(), attack, report JSON over a pipe.

The test process has already imported torch, so each fork costs ~15 ms. The child never
returns into pytest (it always ``os._exit``s). Outcomes are verified from outside where
possible: listener sockets, host files, /proc of the sandbox's host pid, survivors by pid
namespace.
"""

from __future__ import annotations

import ctypes
import json
import os
import select
import shutil
import signal
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyseccomp
import pytest

from assay import sandbox

TEST_UID = 54321  # unused on the CI image; any uid without a passwd entry works


@dataclass(frozen=True)
class Ctx:
    """What an attack gets inside the sandbox: the control pipe and the report."""

    ctl: int
    isolation: dict[str, Any]

    def wait(self) -> None:
        """Block until the parent writes to the control pipe (or closes it, after reaping)."""
        os.read(self.ctl, 1)

    def has(self, layer: str) -> bool:
        """Whether a layer was applied: attacks that would hurt the host without it must check."""
        return any(x.startswith(layer) for x in self.isolation["layers"])


Attack = Callable[[Ctx], dict[str, Any]]


@dataclass
class Run:
    """What the parent saw: wait status of the forked child, and the sandbox's JSON messages."""

    status: int
    ready: dict[str, Any]
    result: dict[str, Any]
    alive_at_result: list[int]  # host pids in the sandbox's pid namespace when it reported
    survivors: list[int]  # the same after the forked child was reaped: must be empty
    elapsed: float

    @property
    def host_pid(self) -> int:
        return int(self.ready["host_pid"])

    @property
    def isolation(self) -> dict[str, Any]:
        return dict(self.ready["isolation"])

    @property
    def layers(self) -> list[str]:
        return list(self.isolation["layers"])

    def has(self, layer: str) -> bool:
        return any(x.startswith(layer) for x in self.layers)

    def gap(self, words: str) -> bool:
        """Whether the report admits a hole: what tests assert when a layer is missing."""
        return any(words in gap for gap in self.isolation["gaps"])


@dataclass
class Sandboxer:
    """Runs one attack in a freshly forked, sandboxed child. ``as_user`` drops to TEST_UID."""

    as_user: bool
    base: Path

    def scratch(self) -> Path:
        path = Path(tempfile.mkdtemp(prefix="scratch-", dir=self.base))
        if self.as_user:
            os.chown(path, TEST_UID, TEST_UID)
        return path

    def run(
        self,
        attack: Attack,
        *,
        limits: sandbox.Limits | None = None,
        lockdown: bool = False,
        deny: tuple[str, ...] = (),
        on_ready: Callable[[dict[str, Any], int], None] | None = None,
        kill_after_result: bool = False,
        config: sandbox.SandboxConfig | None = None,
        timeout: float = 30.0,
    ) -> Run:
        """``deny``: syscalls refused before enter() (to force a fallback); ``on_ready`` gets
        the ready message and the write end of a control pipe the attack may wait on."""
        if config is None:
            config = sandbox.SandboxConfig(scratch=self.scratch(), limits=limits or sandbox.Limits())
        r, w = os.pipe()
        ctl_r, ctl_w = os.pipe()
        start = time.monotonic()
        pid = os.fork()
        if pid == 0:
            _child(self.as_user, config, (w, ctl_r), attack, lockdown, deny, kill_after_result)
        os.close(w)
        os.close(ctl_r)
        messages, ns = _collect(r, ctl_w, on_ready, timeout)
        alive = _members(ns)
        if kill_after_result and messages and "host_pid" in messages[0]:
            os.kill(int(messages[0]["host_pid"]), signal.SIGKILL)
        status = _reap(pid, timeout)
        os.close(r)
        os.close(ctl_w)
        ready = next((m for m in messages if m.get("event") == "ready"), {})
        result = next((m for m in messages if m.get("event") in ("result", "error")), {})
        return Run(status, ready, result, alive, _members(ns), time.monotonic() - start)


def _send(fd: int, message: dict[str, Any]) -> None:
    os.write(fd, json.dumps(message).encode() + b"\n")


def _child(
    as_user: bool,
    config: sandbox.SandboxConfig,
    fds: tuple[int, int],
    attack: Attack,
    lockdown: bool,
    deny: tuple[str, ...],
    hold: bool,
) -> None:
    code = 70
    w, ctl_r = fds
    mnt = _pidns(os.getpid(), "mnt")
    try:
        if deny:
            flt = pyseccomp.SyscallFilter(pyseccomp.ALLOW)
            for name in deny:
                flt.add_rule(pyseccomp.ERRNO(1), name)
            flt.load()
        if as_user:
            os.setgroups([])
            os.setresgid(TEST_UID, TEST_UID, TEST_UID)
            os.setresuid(TEST_UID, TEST_UID, TEST_UID)
        iso = sandbox.enter(config, keep_fds=[w, ctl_r])
        _send(w, {"event": "ready", "host_pid": sandbox.host_pid(), "isolation": iso.as_dict()})
        if lockdown:
            sandbox.lockdown()
        _send(w, {"event": "result", **attack(Ctx(ctl_r, iso.as_dict()))})
        code = 0
        if hold:  # stay alive until the parent has looked and killed us
            os.read(ctl_r, 1)
    except BaseException as e:
        try:
            unchanged = _pidns(os.getpid(), "mnt") == mnt and "PYTEST_CURRENT_TEST" in os.environ
            _send(w, {"event": "error", "error": f"{type(e).__name__}: {e}", "unchanged": unchanged})
        except BaseException:
            pass
    finally:
        os._exit(code)


def _pidns(pid: int, kind: str = "pid") -> str | None:
    try:
        return os.readlink(f"/proc/{pid}/ns/{kind}")
    except OSError:
        return None


def _members(ns: str | None) -> list[int]:
    """Host pids of every process still alive in the pid namespace ``ns``."""
    if ns is None or ns == _pidns(os.getpid()):
        return []
    return [int(p) for p in os.listdir("/proc") if p.isdigit() and _pidns(int(p)) == ns]


def _collect(
    r: int, ctl_w: int, on_ready: Callable[[dict[str, Any], int], None] | None, timeout: float
) -> tuple[list[dict[str, Any]], str | None]:
    buf = b""
    messages: list[dict[str, Any]] = []
    ns = None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([r], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            break
        chunk = os.read(r, 65536)
        if not chunk:
            break
        buf += chunk
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            message = json.loads(line)
            messages.append(message)
            if message.get("event") == "ready":
                ns = _pidns(int(message["host_pid"]))
                if on_ready is not None:
                    on_ready(message, ctl_w)
            if message.get("event") in ("result", "error"):
                return messages, ns
    return messages, ns


def _reap(pid: int, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        time.sleep(0.01)
    os.kill(pid, signal.SIGKILL)
    return os.waitpid(pid, 0)[1]


@pytest.fixture(scope="session")
def base_dir() -> Iterator[Path]:
    """World-traversable base under /tmp (pytest's tmp_path is mode 700, closed to TEST_UID)."""
    path = Path(tempfile.mkdtemp(prefix="assay-sbx-test-", dir="/tmp"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(params=["root", "user"])
def sbx(request: pytest.FixtureRequest, base_dir: Path) -> Sandboxer:
    """Every test runs twice: as root, and as an ordinary uid (user-namespace path)."""
    if os.geteuid() != 0:
        pytest.skip("the sandbox tests fork and drop privileges, so they need root")
    as_user = request.param == "user"
    if as_user and not _userns_available():
        pytest.skip("unprivileged user namespaces are disabled on this host (P17)")
    return Sandboxer(as_user=as_user, base=base_dir)


def _userns_available() -> bool:
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.setresgid(TEST_UID, TEST_UID, TEST_UID)
            os.setresuid(TEST_UID, TEST_UID, TEST_UID)
            code = 0 if ctypes.CDLL(None).unshare(0x10000000) == 0 else 1  # CLONE_NEWUSER
        finally:
            os._exit(code)
    return os.waitpid(pid, 0)[1] == 0
