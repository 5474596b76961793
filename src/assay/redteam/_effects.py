"""Side-effect checks around one evaluation: what an attack must not have managed to do.

Every row gets every check (a breach is a breach whatever the header declared): protected files unchanged,
no shadow or marker files in shared places, the declared `file:` paths absent, no process left behind, the
runner's own priority and CPU affinity untouched, nothing at the loopback listeners, and neither the secret
nor a reference solution's canary in the result. Attacks mark what they write with "assay-redteam", so a
breach can be undone safely: marked files are removed, marked appends are truncated, files the corpus owns
are restored.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import os
import secrets
import signal
import sysconfig
import time
from dataclasses import dataclass, field
from pathlib import Path

from assay.redteam._listen import Listeners
from assay.redteam._processes import descendants, process_table, sched_state

MARK = b"assay-redteam"
SECRET_VAR = "ASSAY_REDTEAM_SECRET"
CANARY = "ASSAY_REDTEAM_REFERENCE_CANARY"
SURVIVOR_TAG = b"assay-redteam-survivor"
SHADOW_NAMES = ("torch.py", "numpy.py", "sitecustomize.py", "usercustomize.py")
MAX_RESULT_BYTES = 256 << 10


def ensure_secret() -> str:
    """The run's secret, put into this process's environment if it is not there yet."""
    value = os.environ.get(SECRET_VAR) or secrets.token_hex(16)
    os.environ[SECRET_VAR] = value
    return value


def _module_dir(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)
    return Path(spec.origin).parent if spec is not None and spec.origin else None


@dataclass(frozen=True)
class Places:
    """Where a corpus run's files live; expands the placeholders of `file:` side effects."""

    corpus: Path
    repo: Path
    site: Path
    torch: Path | None
    numpy: Path | None
    assay: Path | None

    @classmethod
    def for_corpus(cls, corpus: Path) -> Places:
        corpus = corpus.resolve()
        return cls(
            corpus=corpus,
            repo=corpus.parent,
            site=Path(sysconfig.get_paths()["purelib"]),
            torch=_module_dir("torch"),
            numpy=_module_dir("numpy"),
            assay=_module_dir("assay"),
        )

    def expand(self, template: str) -> Path:
        values = {
            "repo": self.repo,
            "site": self.site,
            "torch": self.torch,
            "tmp": "/tmp",
            "home": Path.home(),
            "corpus": self.corpus,
        }
        return Path(template.format(**{k: str(v) for k, v in values.items()}))

    def protected(self) -> list[Path]:
        files = [p for p in (self.corpus / "tasks").rglob("*") if p.is_file() and "__pycache__" not in p.parts]
        files += sorted((self.corpus / "attacks").glob("*.py")) + sorted((self.corpus / "controls").glob("*.py"))
        if self.assay is not None:
            files += sorted(self.assay.rglob("*.py"))
        files += [d / "__init__.py" for d in (self.torch, self.numpy) if d is not None]
        return files

    def shared_dirs(self) -> list[Path]:
        dirs = [self.repo, self.site, Path("/tmp"), Path("/var/tmp"), Path("/dev/shm"), Path.home()]
        dirs += [p for p in (self.corpus / "tasks").iterdir() if p.is_dir()]
        return [d for d in dirs if d.is_dir()]

    def owned(self, path: Path) -> bool:
        return self.corpus in path.parents


def _exists(path: Path) -> bool:
    """False also where this process may not look (run as an ordinary user, /root is closed to the runner and,
    with the same uid and less confinement, to the candidate too)."""
    try:
        return path.exists()
    except OSError:
        return False


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def _suspicious(entry: Path) -> bool:
    name = entry.name
    return "assay-redteam" in name or name in SHADOW_NAMES or (name.endswith(".pth") and MARK in (_read(entry) or b""))


def _remove_if_marked(path: Path) -> str:
    data = _read(path) if path.is_file() else None
    if MARK.decode() in path.name or (data is not None and MARK in data):
        with contextlib.suppress(OSError):
            path.unlink()
        return "removed"
    return "left in place (no marker)"


@dataclass
class Watch:
    """Snapshot before one evaluation; `problems()` after it lists every breach (and undoes what it safely can)."""

    places: Places
    declared: tuple[str, ...]
    listeners: Listeners
    secret: str
    _hashes: dict[Path, tuple[str, int, bool]] = field(default_factory=dict)
    _owned: dict[Path, bytes] = field(default_factory=dict)
    _dirs: dict[Path, set[str]] = field(default_factory=dict)
    _declared_before: set[Path] = field(default_factory=set)
    _pids: set[int] = field(default_factory=set)
    _sched: tuple[int, frozenset[int], int] | None = None
    _arrivals: int = 0

    def before(self) -> None:
        for path in self.places.protected():
            data = _read(path)
            if data is not None:
                self._hashes[path] = (hashlib.sha256(data).hexdigest(), len(data), MARK in data)
                if self.places.owned(path):
                    self._owned[path] = data
        self._dirs = {d: set(os.listdir(d)) for d in self.places.shared_dirs()}
        for effect in self.declared:
            if effect.startswith("file:"):
                path = self.places.expand(effect[5:])
                if _exists(path):
                    _remove_if_marked(path)  # a leftover of an earlier run, not this one's doing
                if _exists(path):
                    self._declared_before.add(path)
        self._pids = descendants(process_table(), os.getpid())
        self._sched = sched_state()
        self._arrivals = self.listeners.count()

    def problems(self, result_json: str) -> list[str]:
        found = self._files() + self._new_entries() + self._declared_files() + self._survivors()
        found += self._scheduling() + [f"reached a listener: {a}" for a in self.listeners.since(self._arrivals)]
        if self.secret and self.secret in result_json:
            found.append(f"the secret ${SECRET_VAR} appears in the result")
        if CANARY in result_json:
            found.append("a hidden reference solution's text appears in the result")
        if len(result_json) > MAX_RESULT_BYTES:
            found.append(f"the result is {len(result_json) >> 10} KiB: candidate output leaked into it")
        return found

    def _files(self) -> list[str]:
        found = []
        for path, (digest, size, had_mark) in self._hashes.items():
            data = _read(path)
            if data is None:
                if path in self._owned:  # files elsewhere may be moved by a concurrent refactoring
                    path.write_bytes(self._owned[path])
                    found.append(f"protected file deleted: {path} (restored)")
                continue
            if hashlib.sha256(data).hexdigest() == digest:
                continue
            appended = len(data) > size and MARK in data[size:] and hashlib.sha256(data[:size]).hexdigest() == digest
            if not appended and (had_mark or MARK not in data):
                continue  # changed without the corpus's marker: a person's concurrent edit, not an attack
            if path in self._owned:
                path.write_bytes(self._owned[path])
                undo = "restored"
            elif appended:
                with open(path, "r+b") as f:
                    f.truncate(size)
                undo = "marked append truncated"
            else:
                undo = "not restored"
            found.append(f"protected file changed: {path} ({undo})")
        return found

    def _new_entries(self) -> list[str]:
        found = []
        for d, names in self._dirs.items():
            with contextlib.suppress(OSError):
                for name in sorted(set(os.listdir(d)) - names):
                    entry = d / name
                    if _suspicious(entry):
                        found.append(f"new file {entry} ({_remove_if_marked(entry)})")
        return found

    def _declared_files(self) -> list[str]:
        found: list[str] = []
        for effect in self.declared:
            if not effect.startswith("file:"):
                continue
            path = self.places.expand(effect[5:])
            if _exists(path) and path not in self._declared_before:
                found.append(f"file written: {path} ({_remove_if_marked(path)})")
        return found

    def _survivors(self, grace_s: float = 3.0) -> list[str]:
        deadline = time.monotonic() + grace_s
        while True:
            table = process_table()
            new = descendants(table, os.getpid()) - self._pids
            tagged = {pid for pid, (_, cmd) in table.items() if SURVIVOR_TAG in cmd}
            left = {p for p in new | tagged if p in table}
            if not left or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        found = []
        for pid in sorted(left):
            cmd = table[pid][1].replace(b"\0", b" ").decode(errors="replace").strip()[:80]
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError, OSError):
                os.waitpid(pid, 0)
            found.append(f"process {pid} outlived the evaluation ({cmd}); killed")
        return found

    def _scheduling(self) -> list[str]:
        assert self._sched is not None
        now = sched_state()
        if now == self._sched:
            return []
        nice, cpus, policy = self._sched
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, 0, nice)
            os.sched_setaffinity(0, cpus)
            os.sched_setscheduler(0, policy, os.sched_param(0))
        return [f"the runner's scheduling changed from (nice, cpus, policy) {self._sched} to {now}; restored"]


def final_sweep(places: Places, declared: tuple[str, ...]) -> list[str]:
    """Declared marker files that appeared late (a survivor writes its marker after a delay)."""
    found: list[str] = []
    for effect in declared:
        if effect.startswith("file:"):
            path = places.expand(effect[5:])
            if _exists(path) and MARK in (_read(path) or b""):
                found.append(f"file written after the run: {path} ({_remove_if_marked(path)})")
    return found
