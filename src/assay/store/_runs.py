"""Where runs live: `.assay/runs/<run id>/run.sqlite` by default, with the best candidate beside it."""

from __future__ import annotations

import fcntl
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

from assay.errors import UserError

DEFAULT_RUNS_DIR = Path(".assay/runs")
RUN_FILE = "run.sqlite"


def new_run_dir(runs_dir: Path, task_name: str) -> tuple[str, Path]:
    """A fresh run id (time and task, made unique) and its folder, created."""
    stem = f"{time.strftime('%Y%m%d-%H%M%S')}-{re.sub(r'[^A-Za-z0-9_.-]', '_', task_name)}"
    runs_dir.mkdir(parents=True, exist_ok=True)
    for n in range(1, 1000):
        run_id = stem if n == 1 else f"{stem}-{n}"
        try:
            (runs_dir / run_id).mkdir()
        except FileExistsError:
            continue
        return run_id, runs_dir / run_id
    raise UserError(f"too many runs named {stem} in {runs_dir}")


def find_run(name: str, runs_dir: Path) -> Path:
    """The run file a user means: a run id under `runs_dir` (or a unique prefix of one), a run folder, or a file.

    Raises:
        UserError: no run, or more than one, matches.
    """
    given = Path(name)
    for candidate in (given, given / RUN_FILE, runs_dir / name / RUN_FILE):
        if candidate.is_file():
            return candidate
    matches = sorted(p for p in run_files(runs_dir) if p.parent.name.startswith(name))
    if len(matches) == 1:
        return matches[0]
    if matches:
        names = ", ".join(p.parent.name for p in matches[:3])
        raise UserError(f"{name!r} matches {len(matches)} runs in {runs_dir} ({names}, ...): give more of the id")
    raise UserError(f"no run {name!r} in {runs_dir} (`assay runs` lists them)")


def run_files(runs_dir: Path) -> list[Path]:
    """Every run file under `runs_dir`, oldest first."""
    if not runs_dir.is_dir():
        return []
    return sorted((p for p in runs_dir.glob(f"*/{RUN_FILE}")), key=lambda p: p.parent.name)


@dataclass
class RunLock:
    """An exclusive lock on a run's folder while a session runs it: two sessions must not extend one run."""

    path: Path
    fd: int = -1

    def acquire(self) -> None:
        """Raises:
        UserError: another process holds the run.
        """
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self.fd)
            self.fd = -1
            raise UserError(f"run {self.path.parent.name} is being run by another process") from None

    def release(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def held_elsewhere(self) -> bool:
        """Whether another process runs it now (for `assay runs`: a 'running' run nobody holds was killed)."""
        if not self.path.exists():
            return False
        fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC)
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        finally:
            os.close(fd)
        return False
