"""The wire format between the orchestrator and its workers.

Imported on both sides of the trust boundary, so it holds no policy and imports neither torch nor numpy.
Messages are length-prefixed JSON (never pickle: unpickling a worker's bytes would run its code, docs/sandbox.md
P12). Bulk data (inputs and outputs) moves as raw bytes through a memfd with `pread`/`pwrite` at offsets the
orchestrator chooses; dtype and shape of what it reads back come from its own expectations.
"""

from __future__ import annotations

import json
import os
import select
import struct
import time
from typing import Any

_HEADER = struct.Struct(">I")

# A candidate's replies are capped: a message is a few hundred bytes of numbers; a flood is a protocol error.
CANDIDATE_MESSAGE_CAP = 64 * 1024
TRUSTED_MESSAGE_CAP = 16 * 1024 * 1024

# Element sizes of the dtypes that may cross the boundary, by torch's name without the "torch." prefix.
DTYPE_SIZES: dict[str, int] = {
    "float64": 8,
    "float32": 4,
    "float16": 2,
    "bfloat16": 2,
    "int64": 8,
    "int32": 4,
    "int16": 2,
    "int8": 1,
    "uint8": 1,
    "bool": 1,
    "complex64": 8,
    "complex128": 16,
}


class ProtocolError(Exception):
    """The peer closed the channel, broke the framing, or did not answer before the deadline."""

    def __init__(self, message: str, *, eof: bool = False, timed_out: bool = False) -> None:
        super().__init__(message)
        self.eof = eof
        self.timed_out = timed_out


def send(fd: int, message: dict[str, Any]) -> None:
    """Write one framed JSON message."""
    send_body(fd, json.dumps(message, separators=(",", ":")).encode())


def send_body(fd: int, body: bytes) -> None:
    """Write one framed message whose body is already encoded."""
    data = _HEADER.pack(len(body)) + body
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _read_exact(fd: int, n: int, deadline: float | None) -> bytes:
    chunks: list[bytes] = []
    remaining = n
    while remaining:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise ProtocolError("no answer before the deadline", timed_out=True)
            # A blocking wait, not a poll: the orchestrator must not compete with the timed worker for a core.
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                raise ProtocolError("no answer before the deadline", timed_out=True)
        chunk = os.read(fd, min(remaining, 1 << 20))
        if not chunk:
            raise ProtocolError("the worker closed its channel", eof=True)
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def recv_body(fd: int, *, deadline: float | None = None, cap: int = TRUSTED_MESSAGE_CAP) -> bytes:
    """Read one framed message's body, unparsed; `deadline` is a `time.monotonic()` value.

    Raises:
        ProtocolError: EOF, deadline passed, or a message over `cap` bytes.
    """
    (length,) = _HEADER.unpack(_read_exact(fd, _HEADER.size, deadline))
    if length > cap:
        raise ProtocolError(f"message of {length} bytes exceeds the {cap}-byte cap")
    return _read_exact(fd, length, deadline)


def recv(fd: int, *, deadline: float | None = None, cap: int = TRUSTED_MESSAGE_CAP) -> dict[str, Any]:
    """Read one framed JSON object from a trusted peer (candidate replies go through `_messages` instead).

    Raises:
        ProtocolError: EOF, deadline passed, oversized or malformed message.
    """
    body = recv_body(fd, deadline=deadline, cap=cap)
    try:
        message = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise ProtocolError("malformed message") from None
    if not isinstance(message, dict):
        raise ProtocolError("message is not a JSON object")
    return message


def tensor_nbytes(dtype: str, shape: list[int]) -> int:
    """Byte size of a contiguous tensor of this dtype and shape."""
    n = DTYPE_SIZES[dtype]
    for dim in shape:
        n *= dim
    return n
