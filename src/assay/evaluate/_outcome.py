"""Turning what a candidate did into a verdict: its failures, its exit status, its stray processes."""

from __future__ import annotations

import contextlib
import os
import signal

from assay._text import clean
from assay.evaluate._result import Flag, Verdict
from assay.worker import Failure


class Outcome(Exception):
    """Ends an evaluation early with a verdict (a candidate failure is data, not an error)."""

    def __init__(self, verdict: Verdict, message: str, flags: tuple[Flag, ...] = ()) -> None:
        super().__init__(message)
        self.verdict = verdict
        self.message = message
        self.flags = flags


def flag(flag_id: str, evidence: str, message: str) -> Outcome:
    """A `flagged` outcome with one piece of evidence (candidate text in it must already be `clean`)."""
    return Outcome(Verdict.FLAGGED, message, (Flag(id=flag_id, evidence=evidence),))


_STAGE_WORDS = {
    "import": "while importing the candidate",
    "construct": "while constructing ModelNew",
    "lockdown": "while locking the sandbox down",
    "call": "during a call",
}


def from_error(reply: Failure, stage: str | None = None) -> Outcome:
    """The verdict for an error the candidate's worker reported. Its text is the candidate's: cleaned, and cut
    to both ends (a load_inline failure starts with the compiler's command line and ends with its error)."""
    where = _STAGE_WORDS.get(reply.stage if reply.stage in _STAGE_WORDS else str(stage), "during a call")
    detail = clean(reply.detail)
    if reply.error == "no-modelnew":
        return Outcome(Verdict.CRASHED, "the candidate defines no class ModelNew")
    if reply.error == "memory":
        return Outcome(Verdict.LIMIT, f"the candidate ran out of memory {where}: {detail}")
    return Outcome(Verdict.CRASHED, f"{clean(reply.type, 100, 0)} {where}: {detail}")


def from_exit(status: int | None, killed_by_us: bool, when: str) -> Outcome:
    """The verdict for a candidate process that died without answering."""
    if status is None:
        return Outcome(Verdict.CRASHED, f"the candidate's process stopped answering {when}")
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        name = signal.Signals(sig).name if sig in signal.Signals.__members__.values() else str(sig)
        if sig == signal.SIGXCPU:
            return Outcome(Verdict.LIMIT, f"the candidate hit the CPU-time limit {when}")
        if sig == signal.SIGXFSZ:
            return Outcome(Verdict.LIMIT, f"the candidate hit the file-size limit {when}")
        if sig == signal.SIGKILL and not killed_by_us:
            return Outcome(Verdict.LIMIT, f"the kernel killed the candidate {when}: the memory or CPU-time limit")
        return Outcome(Verdict.CRASHED, f"the candidate's process died of {name} {when}")
    code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else status
    return Outcome(
        Verdict.CRASHED,
        f"the candidate's process exited with status {code} {when}; only the orchestrator reports results",
    )


def status_text(status: int | None) -> str:
    """A wait status in words: 'killed by SIGKILL', 'exit status 3'."""
    if status is None:
        return "no exit status"
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        return f"killed by {signal.Signals(sig).name if sig in signal.Signals.__members__.values() else sig}"
    return f"exit status {os.WEXITSTATUS(status) if os.WIFEXITED(status) else status}"


def _pid_namespace(pid: int | str) -> str | None:
    try:
        return os.readlink(f"/proc/{pid}/ns/pid")
    except OSError:
        return None


def _children(pid: int) -> list[int]:
    found: list[int] = []
    with contextlib.suppress(OSError):
        for tid in os.listdir(f"/proc/{pid}/task"):
            with contextlib.suppress(OSError), open(f"/proc/{pid}/task/{tid}/children") as f:
                found.extend(int(c) for c in f.read().split())
    return found


def stray_processes(host_pid: int) -> list[int]:
    """Processes besides the candidate's own that live in its sandbox.

    With a pid namespace, every process in it; without one, its descendants (orphans reparent to the zygote,
    a subreaper, whose unknown children die with it).
    """
    ns = _pid_namespace(host_pid)
    if ns is not None and ns != _pid_namespace("self"):
        return [
            int(entry)
            for entry in os.listdir("/proc")
            if entry.isdigit() and int(entry) != host_pid and _pid_namespace(entry) == ns
        ]
    stack, seen = _children(host_pid), []
    while stack:
        pid = stack.pop()
        seen.append(pid)
        stack.extend(_children(pid))
    return seen


def describe_process(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            cmd = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        cmd = ""
    return f"pid {pid} ({clean(cmd, 80, 0) or 'exited'})"  # the command line is the candidate's text


def kill_all(pids: list[int]) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
