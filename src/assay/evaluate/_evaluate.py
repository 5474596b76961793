"""`evaluate()`: the public entry point of the evaluator, and the phases of one evaluation."""

from __future__ import annotations

import ast
import os
import platform
import secrets
import time
from pathlib import Path

from assay.candidates import scan_source
from assay.errors import UserError
from assay.evaluate._compile_cache import CompileCache
from assay.evaluate._config import EvalConfig
from assay.evaluate._finish import encodable, isolation_warning
from assay.evaluate._measure import measure
from assay.evaluate._outcome import Outcome
from assay.evaluate._result import EvalResult, Verdict
from assay.evaluate._session import Session, pinned_cpu
from assay.evaluate._zygote import Zygote, adopt_early
from assay.tasks import Task, load_task


class Evaluator:
    """Evaluates candidates; keeps one zygote warm across evaluations (start it early: torch takes ~1.5 s)."""

    def __init__(self, compile_cache: CompileCache | None = None) -> None:
        self._zygote: Zygote | None = adopt_early() or Zygote()
        self._compile_cache = compile_cache or CompileCache()

    def evaluate(
        self,
        task: Task | str | Path,
        candidate: str | Path,
        config: EvalConfig | None = None,
        *,
        name: str | None = None,
    ) -> EvalResult:
        """Evaluate `candidate` on `task`.

        `candidate` is a `Path` to a file defining ModelNew, or a `str`: source text when it contains a newline,
        else a path. `name` labels the result (default: the path, or "<source>").

        Raises:
            UserError: the task or the candidate file is missing or malformed (TaskError for the task).
            InfrastructureError: the sandbox or a trusted worker failed (SandboxError, WorkerError).
        """
        config = config or EvalConfig()
        task = task if isinstance(task, Task) else load_task(task)
        path, source = read_candidate(candidate)
        started = time.monotonic()
        result = self._run(task, path, source, config)
        result.task, result.candidate = task.name, name or str(path)
        result.sizes = dict(config.sizes)
        result.scan = scan_source(source)
        result.environment = _environment(config)
        result.elapsed_s = round(time.monotonic() - started, 3)
        warning = isolation_warning(result.isolation)
        if warning is not None:
            result.warnings.append(warning)
        return encodable(result)

    def _run(self, task: Task, path: Path, source: str, config: EvalConfig) -> EvalResult:
        try:
            ast.parse(source, filename=path.name)
        except SyntaxError as exc:
            return EvalResult(verdict=Verdict.CRASHED, message=f"{path.name} line {exc.lineno}: {exc.msg}")
        if self._zygote is None:
            self._zygote = Zygote()
        lent = self._compile_cache.for_source(source) if config.compile_cache and config.device == "cpu" else None
        session = Session(task, source, config, self._zygote, lent)
        try:
            weight_seed = secrets.randbits(63)
            session.start_reference(weight_seed)
            session.start_candidate(weight_seed)
            return measure(session)
        except Outcome as outcome:
            return EvalResult(
                verdict=outcome.verdict,
                message=outcome.message,
                flags=list(outcome.flags),
                isolation=session.isolation,
                calls_checked=session.calls_checked,
            )
        finally:
            session.close()

    def close(self) -> None:
        if self._zygote is not None:
            self._zygote.close()
            self._zygote = None

    def __enter__(self) -> Evaluator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def evaluate(
    task: Task | str | Path, candidate: str | Path, config: EvalConfig | None = None, *, name: str | None = None
) -> EvalResult:
    """Evaluate one candidate on one task with a fresh evaluator. See `Evaluator.evaluate`."""
    with Evaluator() as evaluator:
        return evaluator.evaluate(task, candidate, config, name=name)


def read_candidate(candidate: str | Path) -> tuple[Path, str]:
    """The candidate's file name and source: a `Path` is read; a `str` with a newline is the source itself.

    Raises:
        UserError: the file is missing or unreadable.
    """
    if isinstance(candidate, str) and "\n" in candidate:
        return Path("<source>"), candidate
    path = Path(candidate)
    try:
        return path, path.read_text()
    except FileNotFoundError:
        raise UserError(f"candidate not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"cannot read candidate {path}: {exc}") from None


def _environment(config: EvalConfig) -> dict[str, object]:
    from importlib.metadata import version

    return {
        "torch": version("torch"),
        "python": platform.python_version(),
        "cpu": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "threads": 1,
        "pinned_cpu": pinned_cpu(config),
        "load_average": list(os.getloadavg()),
    }
