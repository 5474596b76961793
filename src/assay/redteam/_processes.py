"""The red-team runner's view of processes: its descendants (escaped orphans come back to it as a child
subreaper), and its own scheduling state, which an attack must not change."""

from __future__ import annotations

import contextlib
import ctypes
import os

_PR_SET_CHILD_SUBREAPER = 36


def set_subreaper(on: bool) -> None:
    """Adopt orphaned descendants (an escaped grandchild reparents here, where the process scan sees it)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_CHILD_SUBREAPER, int(on), 0, 0, 0)


def process_table() -> dict[int, tuple[int, bytes]]:
    """pid -> (ppid, cmdline) for every visible process."""
    table: dict[int, tuple[int, bytes]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{name}/cmdline", "rb") as f:
                cmdline = f.read(4096)
        except (OSError, IndexError, ValueError):
            continue
        table[int(name)] = (ppid, cmdline)
    return table


def descendants(table: dict[int, tuple[int, bytes]], root: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for pid, (ppid, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    found, todo = set(), [root]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def sched_state() -> tuple[int, frozenset[int], int]:
    return os.getpriority(os.PRIO_PROCESS, 0), frozenset(os.sched_getaffinity(0)), os.sched_getscheduler(0)
