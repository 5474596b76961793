"""`assay env serve`: the scorer as a long-running process, reached through a unix socket.

Why a process and a socket rather than a command the agent runs (METR runs its scorer through
`runuser --group`): the agent then never executes anything with the scorer's rights, not even briefly, and
never needs a setuid helper or a sudo rule; one process also keeps one warm evaluator and serializes the
requests, since timing needs the CPU to itself. The socket is the only thing the agent can reach, so it is
world-connectable (0666) and every request is recorded with the peer's uid, which the kernel reports.

One connection at a time: others wait in the listen queue. A client that sends nothing is dropped after
`REQUEST_TIMEOUT_S`; a client that leaves before its reply loses only the reply (its entry is in the log).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import stat
import struct
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TextIO

from assay.env._scorer import Scorer
from assay.errors import UserError
from assay.evaluate import Evaluator

REQUEST_TIMEOUT_S = 10.0
MAX_REQUEST = 1 << 16
PROTOCOL_VERSION = 1


@contextlib.contextmanager
def _exclusive(state: Path) -> Iterator[None]:
    """One scorer per environment: a second one would interleave timings and entries."""
    fd = os.open(state / "serve.lock", os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UserError(f"another scorer already serves {state}") from None
        yield
    finally:
        os.close(fd)


def _bind(path: Path) -> socket.socket:
    """Listen on `path`, replacing a stale socket left by a scorer that died, never a live one or another file.

    Raises:
        UserError: something else is at `path`, a scorer already listens there, or its folder is not writable.
    """
    with contextlib.suppress(FileNotFoundError):
        if not stat.S_ISSOCK(path.lstat().st_mode):
            raise UserError(f"{path} exists and is not a socket: remove it or choose another --socket at init")
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            probe.connect(str(path))
            raise UserError(f"a scorer already listens on {path}")
        except ConnectionRefusedError:
            path.unlink()
        finally:
            probe.close()
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.bind(str(path))
    except PermissionError:
        sock.close()
        raise UserError(f"cannot create the socket {path}: its folder is not writable by this user") from None
    os.chmod(path, 0o666)
    sock.listen(16)
    sock.settimeout(0.5)  # wake up to see a stop request
    return sock


def _peer_uid(conn: socket.socket) -> int | None:
    try:
        _pid, uid, _gid = struct.unpack("3i", conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))
    except OSError:
        return None
    return int(uid)


def _read_request(conn: socket.socket) -> dict[str, Any] | None:
    """One JSON line, within `REQUEST_TIMEOUT_S` in all: a client trickling bytes holds the scorer no longer."""
    deadline = time.monotonic() + REQUEST_TIMEOUT_S
    data = b""
    while not data.endswith(b"\n") and len(data) < MAX_REQUEST:
        conn.settimeout(max(deadline - time.monotonic(), 0.001))
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    try:
        request = json.loads(data)
    except ValueError:
        return None
    return request if isinstance(request, dict) else None


def _answer(scorer: Scorer, conn: socket.socket, log: TextIO) -> dict[str, Any] | None:
    try:
        request = _read_request(conn)
    except OSError:
        return None  # the client left or stalled before asking
    op = request.get("op") if request else None
    if op == "score":
        uid = _peer_uid(conn)
        entry = scorer.score(uid)
        score = "" if entry.normalized_score is None else f" score {entry.normalized_score:.3f}"
        tamper = f" (recorded: {'; '.join(entry.tampering)})" if entry.tampering else ""
        print(f"entry {entry.index}: {entry.verdict}{score} for uid {uid}{tamper}", file=log, flush=True)
        return scorer.reply(entry)
    if op == "status":
        return scorer.reply(None)
    error = 'a request is one JSON line, {"op": "score"} or {"op": "status"}'
    return {"version": PROTOCOL_VERSION, "ok": False, "error": error}


def handle(scorer: Scorer, conn: socket.socket, log: TextIO) -> None:
    """Answer one connection. Nothing a client sends or does can raise out of here."""
    try:
        reply = _answer(scorer, conn, log)
    except Exception:  # the scorer's own failure (its disk full, say): said, and served on
        traceback.print_exc(file=log)
        reply = {"version": PROTOCOL_VERSION, "ok": False, "error": "the scorer failed on this request"}
    if reply is None:
        return
    with contextlib.suppress(OSError):  # a client that left loses only the reply: its entry is in the log
        conn.settimeout(REQUEST_TIMEOUT_S)
        conn.sendall((json.dumps(reply) + "\n").encode())


def serve(
    state: Path,
    *,
    evaluator: Evaluator | None = None,
    stop: threading.Event | None = None,
    ready: Callable[[Scorer], None] | None = None,
    log: TextIO = sys.stderr,
) -> None:
    """Serve an environment's scorer until `stop` is set (or the process is interrupted).

    Baselines are measured first if the environment has none; requests that arrive meanwhile wait.

    Raises:
        UserError: the state is unusable, another scorer serves it, or the baselines cannot be measured.
    """
    state = state.absolute()
    stop = stop or threading.Event()
    try:
        owner = os.stat(state).st_uid
    except OSError as exc:
        raise UserError(f"cannot use {state}: {exc.strerror}") from None
    if owner != os.geteuid():
        raise UserError(f"run the scorer as the user who owns {state} (uid {owner}), e.g. with runuser")
    scorer = Scorer(state, evaluator)
    try:
        with _exclusive(state):
            path = Path(scorer.env.socket)
            sock = _bind(path)
            inode = path.stat().st_ino
            try:
                scorer.ensure_baselines()
                scorer.start_clock()
                if ready:
                    ready(scorer)
                while not stop.is_set():
                    try:
                        conn, _ = sock.accept()
                    except TimeoutError:
                        continue
                    with conn:
                        handle(scorer, conn, log)
            finally:
                sock.close()
                with contextlib.suppress(OSError):
                    if path.stat().st_ino == inode:
                        path.unlink()
    finally:
        scorer.close()
