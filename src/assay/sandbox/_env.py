"""Environment scrubbing and file-descriptor hygiene.

A forked worker inherits three copies of the zygote's environment: the exec-time block on the
stack (what ``/proc/self/environ`` shows), the C ``environ`` strings (including ones ``setenv``
put on the heap), and Python's ``posix.environ`` bytes. ``os.environ.clear()`` alone only drops
pointers, so a secret stays readable in ``/proc/self/environ`` and in a memory scan. All three
are overwritten with zeros here before the new, minimal environment is set.
"""

from __future__ import annotations

import contextlib
import os
import posix
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

from assay.sandbox import _libc

# Offset of the character data inside a CPython bytes object (header + cached hash).
_BYTES_DATA_OFFSET = bytes.__basicsize__ - 1


def _exec_env_block() -> tuple[int, int]:
    """``env_start`` and ``env_end`` from /proc/self/stat (fields 50 and 51, proc(5))."""
    with open("/proc/self/stat", "rb") as f:
        stat = f.read()
    fields = stat[stat.rindex(b")") + 2 :].split()
    return int(fields[47]), int(fields[48])  # fields[0] is field 3 (state)


def _wipe_python_copies() -> None:
    values = list(posix.environ.values())
    posix.environ.clear()  # os.environ._data is this dict: no decoded str copies are made
    if sys.implementation.name != "cpython":
        return
    for value in values:
        if len(value) > 1:  # b"" and 1-byte bytes are shared singletons: never touch them
            _libc.wipe(id(value) + _BYTES_DATA_OFFSET, len(value))


def scrub_environment(scratch: Path, threads: int = 1) -> None:
    """Replace the environment with a minimal, secret-free one that points into scratch."""
    _wipe_python_copies()
    for address in _libc.environ_strings():
        _libc.wipe(address, _libc.strlen(address))
    _libc.clearenv()
    start, end = _exec_env_block()
    if 0 < start < end:
        _libc.wipe(start, end - start)

    tmp = scratch / "tmp"
    tmp.mkdir(exist_ok=True)
    (scratch / "torch_extensions").mkdir(exist_ok=True)
    fresh = {
        "HOME": str(scratch),
        "TMPDIR": str(tmp),  # compilers write temporaries here (P14)
        "TORCH_EXTENSIONS_DIR": str(scratch / "torch_extensions"),
        "PATH": f"{os.path.dirname(sys.executable)}:/usr/local/bin:/usr/bin:/bin",  # venv ninja first
        "LANG": "C.UTF-8",
        "MAX_JOBS": "2",
        "OMP_NUM_THREADS": str(threads),
        "MKL_NUM_THREADS": str(threads),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    for key, value in fresh.items():
        os.environ[key] = value
    tempfile.tempdir = None  # a cached "/tmp" from the zygote would point outside scratch


def close_fds(keep: Iterable[int]) -> None:
    """Close everything but 0, 1, 2 and ``keep``; stdin becomes /dev/null.

    Kept descriptors are made close-on-exec so compilers started in the build phase do not
    inherit the result channel.
    """
    kept = sorted({0, 1, 2, *keep})
    low = 0
    for fd in kept:
        if fd > low:
            os.closerange(low, fd)
        low = fd + 1
    os.closerange(low, 1 << 20)
    for fd in kept:
        if fd > 2:
            with contextlib.suppress(OSError):  # the caller passed a descriptor that was not open
                os.set_inheritable(fd, False)
    if 0 not in set(keep):
        null = os.open("/dev/null", os.O_RDONLY | os.O_CLOEXEC)
        os.dup2(null, 0)
        os.close(null)
