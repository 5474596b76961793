"""The agent's side of an environment: ask the scorer to score the workspace's solution.py, print the answer.

Standard library only, and Python 3.8 or later: `assay env init` copies this file into the workspace as its
`score` entry point, which must run with whatever Python the agent has. `assay score` runs the same code.

Protocol: one JSON line each way over the scorer's unix socket. The request names an operation and nothing
else; the scorer knows the workspace and reads solution.py itself.
"""

from __future__ import annotations

import json
import os
import socket
import sys

PROTOCOL_VERSION = 1
CONFIG_NAME = "assay-env.json"
MAX_REPLY = 1 << 20


class ClientError(Exception):
    """The scorer could not be asked: no workspace, nothing listening, a broken reply."""


def read_config(workspace: str) -> dict:  # type: ignore[type-arg]  # stdlib-only file, old Pythons
    path = os.path.join(workspace, CONFIG_NAME)
    try:
        with open(path) as f:
            config = json.load(f)
    except FileNotFoundError:
        raise ClientError(f"{workspace} is not an environment's workspace (no {CONFIG_NAME})") from None
    except (OSError, ValueError) as exc:
        raise ClientError(f"cannot read {path}: {exc}") from None
    if not isinstance(config, dict) or not isinstance(config.get("socket"), str):
        raise ClientError(f"{path} does not name the scorer's socket")
    return config


def request(socket_path: str, op: str) -> dict:  # type: ignore[type-arg]
    """Send one request and wait, as long as it takes, for the reply (the scorer scores one solution at a time)."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        try:
            sock.connect(socket_path)
        except (FileNotFoundError, ConnectionRefusedError):
            raise ClientError(
                f"no scorer is listening on {socket_path}: ask whoever set up this environment to run `assay env serve`"
            ) from None
        except PermissionError:
            raise ClientError(f"not allowed to reach the scorer's socket {socket_path}") from None
        sock.sendall((json.dumps({"version": PROTOCOL_VERSION, "op": op}) + "\n").encode())
        data = b""
        while not data.endswith(b"\n") and len(data) < MAX_REPLY:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    finally:
        sock.close()
    try:
        reply = json.loads(data)
    except ValueError:
        raise ClientError("the scorer closed the connection without an answer (it may have been stopped)") from None
    if not isinstance(reply, dict):
        raise ClientError("the scorer's answer is not a JSON object")
    return reply


def _clean(text: object) -> str:
    """Printable text only: messages quote the solution's own errors, which may hold terminal escapes."""
    return "".join(c if c.isprintable() or c == "\n" else "?" for c in str(text))


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    h, rest = divmod(seconds, 3600)
    return f"{h}h {rest // 60:02d}m" if h else f"{rest // 60}m {rest % 60:02d}s"


def _clock(reply: dict) -> str:  # type: ignore[type-arg]
    text = f"{_duration(reply.get('elapsed_s') or 0)} elapsed"
    budget = reply.get("budget_s")
    return text + (f" of {_duration(budget)}" if budget else " (no time limit)")


def render(reply: dict) -> str:  # type: ignore[type-arg]
    """What the agent reads."""
    if not reply.get("ok"):
        return f"assay score: {_clean(reply.get('error', 'the scorer failed'))}"
    best = reply.get("best")
    lines = []
    entry = reply.get("entry")
    if isinstance(entry, dict):
        lines.append(f"entry {entry.get('index')}: solution.py {_clean(entry.get('verdict'))}")
        if entry.get("verdict") == "verified":
            low, high = entry.get("speedup_ci") or (float("nan"), float("nan"))
            ci = f"95% CI [{low:.3f}, {high:.3f}]"
            lines.append(f"  speedup      {entry['speedup']:.3f}x  {ci} over the task's Model")
            lines.append(
                f"  score        {entry['normalized_score']:.3f}  (0 = starting solution, 1 = reference solution;"
                f" raw {entry['raw_score']:.4f} = log speedup)"
            )
        else:
            lines.append("  score        none: only a verified solution scores")
        if entry.get("flags"):
            lines.append(f"  flags        {_clean(', '.join(entry['flags']))}")
        if entry.get("message") and not any(entry["message"] in t for t in entry.get("tampering") or []):
            lines.append(f"  message      {_clean(entry['message'])}")
        if entry.get("late"):
            lines.append("  late         scored after the time budget: recorded, not counted")
        for note in entry.get("tampering") or []:
            lines.append(f"  recorded     {_clean(note)}")
    else:
        lines.append(f"entries      {reply.get('entries', 0)}")
    lines.append(f"  best so far  {best:.3f}" if isinstance(best, (int, float)) else "  best so far  none yet")
    lines.append(f"  time         {_clock(reply)}")
    return "\n".join(lines)


def main(argv: list[str] | None = None, workspace: str | None = None) -> int:
    """`score [--status] [--json]`: 0 when the solution is verified, 1 when not, 2 when it could not be scored."""
    args = sys.argv[1:] if argv is None else argv
    unknown = [a for a in args if a not in ("--status", "--json", "-h", "--help")]
    if unknown or "-h" in args or "--help" in args:
        print("usage: score [--status] [--json]\n  score solution.py (or, with --status, show the best so far)")
        return 2 if unknown else 0
    where = workspace or os.path.dirname(os.path.abspath(__file__))  # the workspace's copy sits in the workspace
    op = "status" if "--status" in args else "score"
    try:
        config = read_config(where)
        if op == "score" and "--json" not in args:
            print("scoring solution.py (one solution at a time; this can take a minute) ...", file=sys.stderr)
        reply = request(config["socket"], op)
    except ClientError as exc:
        print(f"assay score: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(reply) if "--json" in args else render(reply))
    if not reply.get("ok"):
        return 2
    entry = reply.get("entry")
    return 0 if not isinstance(entry, dict) or entry.get("verdict") == "verified" else 1


if __name__ == "__main__":
    sys.exit(main())
