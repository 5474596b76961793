"""Run an attack through the corpus's deliberately naive in-process harness, to show the attack is real.

Only attacks that target in-process evaluation go there: nothing that reaches the network, other processes,
the filesystem outside its directory, or the machine's limits.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

from assay.redteam._effects import SECRET_VAR
from assay.redteam._header import CorpusEntry

IN_PROCESS_IDS = frozenset(
    {
        "stale-output-mem", "partial-output", "answer-introspection", "expected-poison", "input-id-memo",
        "content-memo", "cross-call-batch", "thread-defer", "lazy-output", "eq-override", "timer-patch-py",
        "timer-patch-native", "harness-patch", "checker-lib-patch", "fake-result-emit", "early-exit",
        "ref-fallback", "precompute-fixtures", "shape-specialize", "precision-downgrade", "input-mutation",
        "phase-detect", "ub-garbage-read", "static-evasion", "impossible-score", "degenerate-task",
        "input-passthrough", "baseline-sabotage",
    }
)  # fmt: skip
FOOLED_ABOVE = 1.05  # a "speedup" the naive harness would report as faster
TIMEOUT_S = 300


def naive_eligible(entry: CorpusEntry) -> bool:
    return entry.kind == "attack" and entry.id in IN_PROCESS_IDS and entry.side_effects == ("none",)


def _verdict_line(stdout: str) -> dict[str, object] | None:
    for line in reversed(stdout.splitlines()):
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and "verdict" in record:
            return record
    return None


def run_naive(entry: CorpusEntry, harness: os.PathLike[str] | str, task_dir: os.PathLike[str] | str) -> str:
    """One line: whether the naive harness was fooled, read the way a naive CI job reads it (exit status and
    the last JSON verdict line on stdout)."""
    env = {k: v for k, v in os.environ.items() if k != SECRET_VAR}
    with tempfile.TemporaryDirectory(prefix="assay-redteam-naive-") as cwd:
        try:
            proc = subprocess.run(
                [sys.executable, os.fspath(harness), os.fspath(task_dir), str(entry.path.resolve())],
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=TIMEOUT_S,
            )
        except subprocess.TimeoutExpired:
            return f"not fooled (hung past {TIMEOUT_S} s)"
    record = _verdict_line(proc.stdout.decode(errors="replace")[-65536:])
    if record is None:
        return "fooled (exit 0, no verdict printed)" if proc.returncode == 0 else f"not fooled (exit {proc.returncode})"
    verdict, speedup = record.get("verdict"), record.get("speedup")
    if proc.returncode == 0 and verdict in ("pass", "verified"):
        if isinstance(speedup, int | float) and speedup > FOOLED_ABOVE:
            return f"fooled ({speedup:.3g}x)"
        return f"passed, no speedup ({speedup:.2f}x)" if isinstance(speedup, int | float) else "passed"
    message = str(record.get("message", ""))[:60]
    return f"not fooled ({verdict}{': ' + message if message else ''})"
