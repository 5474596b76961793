"""`assay env init`: the workspace the agent gets, and the state directory it must not see.

The workspace holds only what the agent may see: the starting solution as `solution.py`, the task's public
`task.py` (the problem itself: KernelBench hands it to every solver, and without it the agent could not know
what to compute or on what shapes), generated instructions, the `score` entry point and the socket's address.
What stays in the state directory: the reference solution, the scorer's own copy of the task, the baselines,
the score log and the per-entry details. Seeds are not stored anywhere: each evaluation draws fresh ones.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from assay.env import _client
from assay.env._instructions import instructions
from assay.env._start import model_as_start
from assay.env._state import TASK_DIR, Baselines, EnvFile, ScorerSettings, read_env, write_env
from assay.env._users import Account, current, hand_over, unreachable
from assay.errors import UserError
from assay.tasks import Task, load_task, top_level_names

SOLUTION = "solution.py"
SOCKET_PATH_MAX = 107  # sun_path holds 108 bytes with the terminating NUL


@dataclass(frozen=True)
class Layout:
    """Where an environment lives, and who owns each part (None: the user running init)."""

    workspace: Path
    state: Path
    socket: Path
    owner: Account | None = None
    scorer: Account | None = None


def default_layout(workspace: Path, state: Path | None, socket: Path | None) -> tuple[Path, Path]:
    """The state directory (default: beside the workspace, `DIR.state`) and the socket (default: `STATE.sock`)."""
    state = (state or workspace.with_name(workspace.name + ".state")).absolute()
    return state, (socket or state.with_name(state.name + ".sock")).absolute()


def _solution_source(path: Path, what: str) -> str:
    try:
        source = path.read_text()
        names = top_level_names(source, str(path))
    except OSError as exc:
        raise UserError(f"cannot read the {what} {path}: {exc.strerror}") from None
    except SyntaxError as exc:
        raise UserError(f"the {what} {path} has a syntax error at line {exc.lineno}: {exc.msg}") from None
    if "ModelNew" not in names:
        raise UserError(f"the {what} {path} does not define ModelNew")
    return source


def _check_layout(layout: Layout) -> None:
    ws, state = layout.workspace.absolute(), layout.state.absolute()
    for path, what in ((ws, "workspace"), (state, "state directory")):
        if path.exists() and (not path.is_dir() or any(path.iterdir())):
            raise UserError(f"the {what} {path} already exists and is not an empty folder")
    if state.is_relative_to(ws) or ws.is_relative_to(state) or layout.socket.absolute().is_relative_to(state):
        raise UserError("the state directory and the workspace must be separate folders, the socket outside both")
    if len(os.fsencode(layout.socket)) > SOCKET_PATH_MAX:
        raise UserError(f"the socket path {layout.socket} is longer than {SOCKET_PATH_MAX} bytes: choose --socket")
    if (layout.owner or layout.scorer) and os.geteuid() != 0:
        raise UserError("only root may give the workspace or the state to another user (--owner, --scorer)")


def _check_reach(layout: Layout) -> None:
    """Refuse a layout that cannot work: the scorer must read the workspace and create its socket, and the agent
    must reach the socket."""
    scorer, agent = layout.scorer or current(), layout.owner or current()
    problems = [
        unreachable(layout.workspace, scorer),
        unreachable(layout.socket.parent, scorer, write=True),
        unreachable(layout.socket.parent, agent),
    ]
    problem = next((p for p in problems if p), None)
    if problem:
        raise UserError(f"this layout cannot work: {problem}")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _write_state(task: Task, layout: Layout, start: str, reference: str, folder_task: bool) -> None:
    folder = layout.state / TASK_DIR
    folder.mkdir(parents=True)
    shutil.copyfile(task.task_file, folder / "task.py")
    if folder_task and (task.root / "task.toml").is_file():
        shutil.copyfile(task.root / "task.toml", folder / "task.toml")
    (folder / "start.py").write_text(start)
    (folder / "reference.py").write_text(reference)


def _write_workspace(task: Task, env: EnvFile, layout: Layout, start: str) -> dict[str, str]:
    ws = layout.workspace
    (ws / SOLUTION).write_text(start)
    shutil.copyfile(task.task_file, ws / "task.py")
    (ws / "INSTRUCTIONS.md").write_text(instructions(task, env))
    client = Path(_client.__file__).read_text()
    (ws / "score").write_text("#!/usr/bin/env python3\n" + client)
    config = {"version": 1, "task": env.task, "socket": env.socket}
    (ws / _client.CONFIG_NAME).write_text(json.dumps(config, indent=2) + "\n")
    return {p.name: _sha256(p) for p in sorted(ws.iterdir()) if p.name != SOLUTION}


def _baselines_from(other: Path, env: EnvFile, sources: dict[str, str]) -> Baselines:
    """Another environment's baselines, if it is the same task with the same solutions and settings: many runs of
    a task are then normalized by the same y_s and y_r, as RE-Bench does, and the baselines are measured once."""
    theirs = read_env(other)
    if theirs.baselines is None:
        raise UserError(f"{other} has no baselines yet (its scorer measures them when it first starts)")
    try:
        same = all((other / TASK_DIR / name).read_text() == text for name, text in sources.items())
    except OSError:
        same = False
    if theirs.task != env.task or theirs.settings != env.settings or not same:
        raise UserError(f"{other} is not the same task with the same solutions and settings: measure anew")
    return theirs.baselines


def init_environment(
    task_path: str | Path,
    layout: Layout,
    *,
    start: Path | None = None,
    reference: Path | None = None,
    time_budget_s: float | None = None,
    settings: ScorerSettings | None = None,
    baselines_from: Path | None = None,
) -> EnvFile:
    """Create the workspace and the state directory of a new environment. Baselines are measured later, by the
    scorer, under the settings it scores with, unless `baselines_from` names an environment of the same task
    whose scorer measured them.

    Raises:
        UserError: the task, a solution file or the layout is unusable (TaskError for the task).
    """
    task = load_task(task_path)
    reference = reference or task.reference_file
    if reference is None:
        raise UserError(f"task {task.name} has no reference.py: give one with --reference (scores are relative to it)")
    reference_source = _solution_source(reference, "reference solution")
    start = start or task.start_file
    start_source = (
        _solution_source(start, "starting solution") if start else model_as_start(task.source, str(task.task_file))
    )
    _check_layout(layout)
    env = EnvFile(
        task=task.name,
        workspace="",
        socket=str(layout.socket.absolute()),
        created_at=time.time(),
        time_budget_s=time_budget_s if time_budget_s is not None else task.spec.time_budget_s,
        settings=settings or ScorerSettings(),
        agent_uid=layout.owner.uid if layout.owner else None,
    )
    if baselines_from is not None:
        sources = {"task.py": task.source, "start.py": start_source, "reference.py": reference_source}
        if Path(task_path).is_dir() and (task.root / "task.toml").is_file():
            sources["task.toml"] = (task.root / "task.toml").read_text()
        env.baselines = _baselines_from(baselines_from, env, sources)
    made: list[tuple[Path, bool]] = []
    try:
        for path in (layout.state, layout.workspace):
            made.append((path, path.exists()))
            path.mkdir(parents=True, exist_ok=True)
        env.workspace = str(layout.workspace.resolve())
        _write_state(task, layout, start_source, reference_source, Path(task_path).is_dir())
        env.workspace_files = _write_workspace(task, env, layout, start_source)
        write_env(layout.state, env)
        hand_over(layout.workspace, layout.owner or current(), 0o755, 0o644, executable=("score",))
        hand_over(layout.state, layout.scorer or current(), 0o700, 0o600)
        _check_reach(layout)
    except BaseException:
        for path, existed in made:  # each was missing or empty before: leave it so
            if not existed:
                shutil.rmtree(path, ignore_errors=True)
                continue
            for child in path.iterdir():
                shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()
        raise
    return env
