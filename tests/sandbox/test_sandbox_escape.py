"""Attacks on the network, the filesystem and the environment, verified from outside."""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import torch
from conftest import Ctx, Sandboxer

REPO = Path(__file__).resolve().parents[2]
SITE_PACKAGES = Path(torch.__file__).resolve().parents[1]


def _try(action: Any) -> str:
    try:
        action()
    except Exception as e:
        return f"blocked: {type(e).__name__}: {e}"
    return "DONE"


@pytest.fixture
def listeners(base_dir: Path) -> Iterator[dict[str, Any]]:
    """TCP, UDP, pathname-unix and abstract-unix listeners in the test process."""
    tcp = socket.socket()
    tcp.bind(("127.0.0.1", 0))
    tcp.listen()
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    path = base_dir / f"listen-{uuid.uuid4().hex[:8]}.sock"
    unix = socket.socket(socket.AF_UNIX)
    unix.bind(str(path))
    path.chmod(0o777)  # so only the sandbox, not file permissions, stops TEST_UID
    unix.listen()
    abstract = socket.socket(socket.AF_UNIX)
    name = b"\0assay-test-" + uuid.uuid4().hex.encode()
    abstract.bind(name)
    abstract.listen()
    socks = [tcp, udp, unix, abstract]
    for s in socks:
        s.setblocking(False)
    yield {"tcp": tcp, "udp": udp, "unix": unix, "abstract": abstract, "path": path, "name": name}
    for s in socks:
        s.close()
    path.unlink()


def _nothing_arrived(sock: socket.socket, datagram: bool = False) -> bool:
    try:
        sock.recvfrom(100) if datagram else sock.accept()
    except BlockingIOError:
        return True
    return False


def test_network_is_unreachable(sbx: Sandboxer, listeners: dict[str, Any]) -> None:
    tcp_port = listeners["tcp"].getsockname()[1]
    udp_port = listeners["udp"].getsockname()[1]
    path, name = str(listeners["path"]), listeners["name"]

    def attack(ctx: Ctx) -> dict[str, Any]:
        def unix(address: Any) -> None:
            with socket.socket(socket.AF_UNIX) as s:
                s.settimeout(1)
                s.connect(address)

        def udp() -> None:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.sendto(b"pwned", ("127.0.0.1", udp_port))

        return {
            "tcp": _try(lambda: socket.create_connection(("127.0.0.1", tcp_port), timeout=1)),
            "udp": _try(udp),
            "unix": _try(lambda: unix(path)),
            "abstract": _try(lambda: unix(name)),
            "inherited_fds": sorted(os.listdir("/proc/self/fd")),
        }

    run = sbx.run(attack)
    if not (run.has("seccomp") or run.has("netns")):
        assert run.gap("no syscall filter") and run.gap("no network namespace")
        return
    for channel in ("tcp", "udp", "unix", "abstract"):
        assert run.result[channel].startswith("blocked"), (channel, run.result)
    assert _nothing_arrived(listeners["tcp"])
    assert _nothing_arrived(listeners["udp"], datagram=True)
    assert _nothing_arrived(listeners["unix"])
    assert _nothing_arrived(listeners["abstract"])
    assert len(run.result["inherited_fds"]) <= 6, "listener sockets must have been closed"


def test_writes_outside_scratch_fail(sbx: Sandboxer, base_dir: Path) -> None:
    tag = uuid.uuid4().hex[:8]
    targets = [
        Path("/tmp") / f"assay-pwned-{tag}",
        Path(__file__).parent / f"pwned-{tag}",
        SITE_PACKAGES / f"assay-pwned-{tag}.pth",
        base_dir / f"pwned-{tag}",
        Path("/dev/shm") / f"assay-pwned-{tag}",
    ]

    def attack(ctx: Ctx) -> dict[str, Any]:
        if not ctx.has("landlock"):
            return {"unconfined": True}  # never write into site-packages for real
        out = {str(t): _try(lambda t=t: t.write_text("import os")) for t in targets}
        Path("in-scratch.txt").write_text("fine")
        out["scratch"] = Path("in-scratch.txt").read_text()
        return out

    run = sbx.run(attack)
    if run.result.get("unconfined"):
        assert run.gap("filesystem not confined")
        return
    assert run.result["scratch"] == "fine"
    for target in targets:
        assert run.result[str(target)].startswith("blocked"), (target, run.result)
        assert not target.exists(), f"{target} was created on the host"


def test_hidden_files_are_unreadable(sbx: Sandboxer, base_dir: Path) -> None:
    hidden = base_dir / "hidden"
    hidden.mkdir(exist_ok=True)
    (hidden / "reference.py").write_text("SECRET = 42\n")
    (hidden / "reference.py").chmod(0o644)  # file permissions would let TEST_UID read it
    parent = os.getpid()
    targets = [hidden / "reference.py", Path("/etc/shadow"), Path(f"/proc/{parent}/environ")]
    if str(REPO) not in sys.path:
        targets.append(REPO / "pyproject.toml")  # the task folder stand-in: not on the allow-list

    def attack(ctx: Ctx) -> dict[str, Any]:
        return {str(t): _try(lambda t=t: t.read_bytes()) for t in targets}

    run = sbx.run(attack)
    if not run.has("landlock"):
        assert run.gap("filesystem not confined")
        return
    for target in targets:
        assert run.result[str(target)].startswith("blocked"), (target, run.result)


# x86_64 numbers: (name, nr, args). Each must fail; none may change anything.
ESCAPES = [
    ("unshare(CLONE_NEWUSER)", 272, (0x10000000,)),
    ("clone(CLONE_NEWUSER)", 56, (0x10000000 | signal.SIGCHLD, 0, 0, 0, 0)),
    ("mount(tmpfs)", 165, (b"none", b"/usr", b"tmpfs", 0, None)),
    ("umount2(/proc)", 166, (b"/proc", 2)),  # MNT_DETACH
    ("chroot(/)", 161, (b"/",)),
    ("bpf", 321, (0, 0, 0)),
    ("io_uring_setup", 425, (1, 0)),
    ("userfaultfd", 323, (0,)),
    ("perf_event_open", 298, (0, 0, -1, -1, 0)),
]


@pytest.mark.skipif(os.uname().machine != "x86_64", reason="raw syscall numbers are x86_64")
def test_kernel_escape_hatches_are_closed(sbx: Sandboxer) -> None:
    parent = os.getpid()

    def attack(ctx: Ctx) -> dict[str, Any]:
        if not ctx.has("seccomp"):
            return {"unconfined": True}  # mount over /usr or detach /proc on the host: never
        libc = ctypes.CDLL(None, use_errno=True)
        out = {}
        for name, nr, args in ESCAPES:
            ret = libc.syscall(nr, *args)
            if ret == 0 and name.startswith("clone"):
                os._exit(0)  # a child got through: leave at once, the parent reports it
            out[name] = "DONE" if ret >= 0 else f"blocked: {os.strerror(ctypes.get_errno())}"
        out["ptrace(parent)"] = _try(lambda: _ptrace_seize(libc, parent))
        out["ptrace(self)"] = _try(lambda: _ptrace_seize(libc, os.getpid()))
        return out

    run = sbx.run(attack)
    if run.result.get("unconfined"):
        assert run.gap("no syscall filter")
        return
    for name, value in run.result.items():
        if name != "event":
            assert value.startswith("blocked"), (name, run.result)


def _ptrace_seize(libc: ctypes.CDLL, pid: int) -> None:
    if libc.ptrace(0x4206, pid, 0, 0) != 0:  # PTRACE_SEIZE
        raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
