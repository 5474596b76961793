"""Locate and validate a task without running it: the orchestrator never executes task code itself."""

from __future__ import annotations

import ast
import tomllib
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from assay.errors import TaskError
from assay.tasks._spec import TaskSpec

REQUIRED_NAMES = ("Model", "get_inputs", "get_init_inputs")


@dataclass(frozen=True)
class Task:
    """A task: a KernelBench-style problem file, or a folder with `task.py` and optional extras."""

    name: str
    root: Path
    task_file: Path
    spec: TaskSpec
    start_file: Path | None = None
    reference_file: Path | None = None

    @property
    def source(self) -> str:
        return self.task_file.read_text()


def top_level_names(source: str, filename: str) -> set[str]:
    """Names bound at module level (classes, functions, assignments, imports).

    Raises:
        SyntaxError: when `source` does not parse.
    """
    names: set[str] = set()
    for node in ast.parse(source, filename=filename).body:
        if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.ImportFrom | ast.Import):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
    return names


def _check_task_file(path: Path) -> None:
    try:
        source = path.read_text()
    except OSError as exc:
        raise TaskError(f"cannot read task file {path}: {exc.strerror}") from None
    try:
        names = top_level_names(source, str(path))
    except SyntaxError as exc:
        raise TaskError(f"task file {path} has a syntax error at line {exc.lineno}: {exc.msg}") from None
    missing = [n for n in REQUIRED_NAMES if n not in names]
    if missing:
        raise TaskError(f"task file {path} does not define {', '.join(missing)}")


def _read_spec(path: Path) -> TaskSpec:
    try:
        data = tomllib.loads(path.read_text())
    except OSError as exc:
        raise TaskError(f"cannot read {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise TaskError(f"{path} is not valid TOML: {exc}") from None
    try:
        return TaskSpec.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise TaskError(f"{path}: field {where}: {first['msg']}") from None


def load_task(path: str | Path) -> Task:
    """Load a task from a KernelBench-style `.py` file or a task folder.

    Raises:
        TaskError: the path is missing, or the task is malformed.
    """
    p = Path(path)
    if not p.exists():
        raise TaskError(f"task not found: {p}")
    if p.is_file():
        if p.suffix != ".py":
            raise TaskError(f"a task file must be a .py file: {p}")
        _check_task_file(p)
        return Task(name=p.stem, root=p.parent.resolve(), task_file=p.resolve(), spec=TaskSpec())
    task_file = p / "task.py"
    if not task_file.is_file():
        raise TaskError(f"task folder {p} has no task.py")
    _check_task_file(task_file)
    spec = _read_spec(p / "task.toml") if (p / "task.toml").is_file() else TaskSpec()
    start = p / "start.py"
    ref = p / "reference.py"
    return Task(
        name=p.resolve().name,
        root=p.resolve(),
        task_file=task_file.resolve(),
        spec=spec,
        start_file=start.resolve() if start.is_file() else None,
        reference_file=ref.resolve() if ref.is_file() else None,
    )


def is_task(path: Path) -> bool:
    """True for a task folder (has task.py) or a `.py` file that defines the KernelBench names."""
    if path.is_dir():
        return (path / "task.py").is_file()
    if path.suffix != ".py":
        return False
    try:
        return set(REQUIRED_NAMES) <= top_level_names(path.read_text(), str(path))
    except (SyntaxError, OSError, UnicodeDecodeError):
        return False


def load_suite(path: str | Path) -> list[Task]:
    """All tasks in a suite folder (task folders and KernelBench files), sorted by name, or one task.

    Raises:
        TaskError: the path is missing or holds no task.
    """
    p = Path(path)
    if not p.exists():
        raise TaskError(f"suite not found: {p}")
    if is_task(p):
        return [load_task(p)]
    if not p.is_dir():
        raise TaskError(f"not a task or a suite folder: {p}")
    tasks = [load_task(c) for c in sorted(p.iterdir()) if not c.name.startswith((".", "_")) and is_task(c)]
    if not tasks:
        raise TaskError(f"suite folder {p} holds no task")
    return tasks
