"""Timing CPUs: which CPU of a node an evaluation is pinned to, and the rule that no two share one.

Ray counts a node's timing CPUs (the custom resource `assay_timing_cpu`, one unit per CPU that may be given to
an evaluation) and never places more evaluators on a node than it declared; it does not say *which* CPU each
one may use. That is decided here, on the node: an evaluator takes the first CPU of the node's list whose lock
file it can lock (`flock`, so the kernel releases it when the process dies, however it dies, and an evaluator
restarted after a kill takes it again). The locks live in the machine's temporary folder, so two Ray nodes
started on one machine (as the tests do) never pin two evaluations to one CPU either.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from assay.errors import ClusterError, ConfigError

TIMING_RESOURCE = "assay_timing_cpu"
CPUS_VAR = "ASSAY_TIMING_CPUS"  # e.g. "4-7" or "1,3": the CPUs this node gives to evaluations


def parse_cpu_list(text: str) -> list[int]:
    """`"4-7,9"` as [4, 5, 6, 7, 9], in the order given.

    Raises:
        ConfigError: the text is not a list of CPUs and ranges.
    """
    cpus: list[int] = []
    for part in text.replace(" ", "").split(","):
        first, dash, last = part.partition("-")
        if not first.isdigit() or (dash and not last.isdigit()):
            raise ConfigError(f"{CPUS_VAR} takes CPUs and ranges such as 4-7,9; got {text!r}")
        cpus.extend(range(int(first), int(last or first) + 1))
    return cpus


def timing_cpus() -> list[int]:
    """The CPUs evaluations may be pinned to, in the order they are taken: `ASSAY_TIMING_CPUS`, else every CPU
    of this process, highest first (a local evaluation takes the highest; the generator a lower one).

    Raises:
        ConfigError: `ASSAY_TIMING_CPUS` is malformed or names a CPU this process may not use.
    """
    allowed = os.sched_getaffinity(0)
    text = os.environ.get(CPUS_VAR, "").strip()
    if not text:
        return sorted(allowed, reverse=True)
    cpus = parse_cpu_list(text)
    outside = sorted(set(cpus) - allowed)
    if outside:
        raise ConfigError(f"{CPUS_VAR} names CPUs this node may not use: {outside} (it may use {sorted(allowed)})")
    return cpus


def evaluator_affinity(cpu: int) -> set[int] | None:
    """The CPUs an evaluator holding `cpu` should run on, or None to leave its affinity as it is.

    A local evaluation puts its input generator on another CPU of the process (`evaluate._session`). When
    `ASSAY_TIMING_CPUS` names the timing CPUs and leaves others spare, the evaluator keeps only its own timing
    CPU and the spare ones, so that its generator never runs on another evaluation's timing CPU. Without it
    the timing CPUs are taken from the highest down and the generator goes to the lowest CPU, the last one a
    timing CPU is taken from.

    Raises:
        ConfigError: `ASSAY_TIMING_CPUS` is malformed.
    """
    if not os.environ.get(CPUS_VAR, "").strip():
        return None
    spare = os.sched_getaffinity(0) - set(timing_cpus())
    return spare | {cpu} if spare else None


@dataclass
class CpuClaim:
    """A timing CPU held by this process until `release` (or its death)."""

    cpu: int
    fd: int

    def release(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)  # closing the only descriptor releases the flock
            self.fd = -1


def claim_timing_cpu(lock_dir: Path | None = None) -> CpuClaim:
    """Take a timing CPU no other evaluator on this machine holds.

    Raises:
        ClusterError: every timing CPU is held (the node declared more `assay_timing_cpu` than it has CPUs).
        ConfigError: `ASSAY_TIMING_CPUS` is malformed.
    """
    folder = lock_dir or Path(tempfile.gettempdir())
    cpus = timing_cpus()
    for cpu in cpus:
        # Read-only with O_NOFOLLOW: another user's evaluator may lock the same file, and a link planted in a
        # shared /tmp is refused rather than followed.
        fd = os.open(folder / f"assay-timing-cpu-{cpu}.lock", os.O_RDONLY | os.O_CREAT | os.O_NOFOLLOW, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        except BaseException:
            with contextlib.suppress(OSError):
                os.close(fd)
            raise
        return CpuClaim(cpu, fd)
    raise ClusterError(
        f"every timing CPU of this node ({', '.join(map(str, cpus))}) is held by another evaluator: declare at "
        f"most {len(cpus)} {TIMING_RESOURCE} for it (or list more CPUs in {CPUS_VAR})"
    )
