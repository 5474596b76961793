"""Loopback listeners that egress attacks aim at; whatever reaches them is a sandbox breach.

TCP 127.0.0.1:47001, UDP 127.0.0.1:47002 and the pathname socket /tmp/assay-redteam-listener.sock (docs/
docs/sandbox.md P1: pathname sockets bypass network namespaces). Each answers "ack" so that an attack can tell it
got through, and records what arrived.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
from dataclasses import dataclass, field

from assay.errors import InfrastructureError

TCP_PORT = 47001
UDP_PORT = 47002
UNIX_PATH = "/tmp/assay-redteam-listener.sock"


@dataclass
class Listeners:
    """Background listeners; use as a context manager. `arrivals` grows as connections and datagrams come in."""

    arrivals: list[str] = field(default_factory=list)
    _sockets: list[socket.socket] = field(default_factory=list)
    _threads: list[threading.Thread] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __enter__(self) -> Listeners:
        try:
            tcp = socket.create_server(("127.0.0.1", TCP_PORT), reuse_port=False)
            udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            udp.bind(("127.0.0.1", UDP_PORT))
            with contextlib.suppress(FileNotFoundError):
                os.unlink(UNIX_PATH)
            unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            unix.bind(UNIX_PATH)
            unix.listen()
        except OSError as exc:
            self.close()
            raise InfrastructureError(
                f"cannot start the red-team listeners on 127.0.0.1:{TCP_PORT}/{UDP_PORT}: {exc}"
                " (is another red-team run going on?)"
            ) from None
        self._sockets += [tcp, udp, unix]
        for target, sock in ((self._accept, tcp), (self._datagrams, udp), (self._accept, unix)):
            thread = threading.Thread(target=target, args=(sock,), daemon=True, name="redteam-listener")
            thread.start()
            self._threads.append(thread)
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        for sock in self._sockets:
            # shutdown() wakes the thread blocked in accept()/recvfrom(); close() alone leaves the port bound.
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        for thread in self._threads:
            thread.join(timeout=2.0)  # the port is free only once no thread is inside a syscall on it
        for sock in self._sockets:
            with contextlib.suppress(OSError):
                sock.close()
        self._sockets.clear()
        self._threads.clear()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(UNIX_PATH)

    def count(self) -> int:
        with self._lock:
            return len(self.arrivals)

    def since(self, start: int) -> list[str]:
        with self._lock:
            return self.arrivals[start:]

    def _record(self, what: str) -> None:
        with self._lock:
            self.arrivals.append(what)

    def _accept(self, server: socket.socket) -> None:
        while True:
            try:
                conn, peer = server.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(2.0)
                try:
                    data = conn.recv(200)
                    conn.sendall(b"ack\n")
                except OSError:
                    data = b""
            self._record(f"{'tcp' if server.family == socket.AF_INET else 'unix'} {peer or UNIX_PATH}: {data[:80]!r}")

    def _datagrams(self, server: socket.socket) -> None:
        while True:
            try:
                data, peer = server.recvfrom(512)
                if peer is None:  # woken by shutdown()
                    return
                server.sendto(b"ack\n", peer)
            except OSError:
                return
            self._record(f"udp {peer}: {data[:80]!r}")
