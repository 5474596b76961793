"""The zygote: a clean, trusted process that imports torch once and forks workers on request.

Why: a fresh `import torch` costs about 1.5 s here, a fork of a process that already imported it about 8 ms
(docs/measurement.md 4.6). Why not fork the orchestrator: it holds secrets (API keys in its environment, the input
seeds); the zygote is started with a scrubbed environment and never learns a seed, so a forked candidate
inherits nothing worth stealing.

Protocol on the control socket (SOCK_SEQPACKET, one JSON object per packet, file descriptors attached):
  -> {"op": "spawn", "id": N, "role": "reference"|"candidate", "config": {...}}  + fds [cmd_in, reply_out, data]
  <- {"spawned": N, "pid": PID}
  <- {"ready": true, "pid": PID, "torch": VERSION, "cuda": VERSION|null, "cuda_devices": N}   once, first
  <- {"exit": PID, "status": WAIT_STATUS}      whenever a child ends
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import select
import signal
import socket
import sys
from typing import Any

_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36


def _prctl(option: int, value: int) -> None:
    ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0)


def _send(sock: socket.socket, message: dict[str, Any]) -> None:
    sock.send(json.dumps(message).encode())


def _child(sock: socket.socket, wake_r: int, wake_w: int, message: dict[str, Any], fds: list[int]) -> None:
    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    sock.close()
    os.close(wake_r)
    os.close(wake_w)
    # Die with the zygote (and so with the orchestrator): no orphaned worker outlives an evaluation.
    _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    try:
        if message["role"] == "reference":
            from assay.worker import _reference

            _reference.main(fds, message["config"])
        else:
            from assay.worker import _candidate

            _candidate.main(fds, message["config"])
    finally:
        os._exit(0)


def _reap(sock: socket.socket) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        _send(sock, {"exit": pid, "status": status})


def main() -> None:
    sock = socket.socket(fileno=int(sys.argv[1]))
    # No PDEATHSIG here: Linux sends it when the *thread* that started us exits, and an orchestrator may start its
    # evaluator from a worker thread that ends long before the process does. The control socket is the tie: when
    # the orchestrator dies, the kernel closes its end, and the loop below exits on EOF (taking the workers,
    # whose own PDEATHSIG points at this single-threaded process, with it).
    # Orphans of workers (in the fallback without pid namespaces) reparent here, where they are reaped.
    _prctl(_PR_SET_CHILD_SUBREAPER, 1)
    import torch

    torch.set_num_threads(1)
    import assay.sandbox
    import assay.worker._candidate
    import assay.worker._reference  # noqa: F401

    wake_r, wake_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    # What --device may ask for. NVML answers without initialising CUDA (PYTORCH_NVML_BASED_CUDA_CHECK), so the
    # zygote stays fork-safe; a CPU build reports no CUDA and no devices.
    cuda = torch.version.cuda
    devices = torch.cuda.device_count() if cuda else 0
    _send(sock, {"ready": True, "pid": os.getpid(), "torch": torch.__version__, "cuda": cuda, "cuda_devices": devices})
    while True:
        ready, _, _ = select.select([sock.fileno(), wake_r], [], [])
        if wake_r in ready:
            with contextlib.suppress(BlockingIOError):
                os.read(wake_r, 4096)
            _reap(sock)
        if sock.fileno() in ready:
            data, fds, _, _ = socket.recv_fds(sock, 1 << 16, 8)
            if not data:
                os._exit(0)
            message = json.loads(data)
            pid = os.fork()
            if pid == 0:
                _child(sock, wake_r, wake_w, message, fds)
            for fd in fds:
                os.close(fd)
            _send(sock, {"spawned": message["id"], "pid": pid})


if __name__ == "__main__":
    main()
