"""One evaluator per process on its own thread, for frameworks that call from worker threads or an event loop.

Timing needs the CPU to itself, so evaluations run one at a time whatever the framework's concurrency. They
all run on one long-lived thread that this module owns: the zygote dies with the thread that started it
(PDEATHSIG fires when the forking *thread* exits), and frameworks call from pool threads that come and go
(OpenEvolve's executor is shut down with its evaluator). The evaluator keeps its zygote warm between calls
and is replaced after an infrastructure failure.
"""

from __future__ import annotations

import atexit
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from assay.errors import InfrastructureError
from assay.evaluate import EvalConfig, EvalResult, Evaluator
from assay.tasks import Task, load_task


class SerialEvaluator:
    """`Evaluator.evaluate`, one at a time on one thread; starts its evaluator on first use, closes it at exit."""

    def __init__(self) -> None:
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="assay-evaluator")
        self._evaluator: Evaluator | None = None
        self._closed = False
        atexit.register(self.close)

    def evaluate(
        self, task: Task, candidate: str | Path, config: EvalConfig | None, name: str | None = None
    ) -> EvalResult:
        """See `Evaluator.evaluate` (same errors); blocks until the evaluations queued before it are done."""
        return self._thread.submit(self._evaluate, task, candidate, config, name).result()

    def _evaluate(self, task: Task, candidate: str | Path, config: EvalConfig | None, name: str | None) -> EvalResult:
        if self._evaluator is None:
            self._evaluator = Evaluator()
        try:
            return self._evaluator.evaluate(task, candidate, config, name=name)
        except (InfrastructureError, OSError):
            self._evaluator.close()
            self._evaluator = None
            raise

    def close(self) -> None:
        """Close the evaluator (on its thread) and stop the thread; later calls do nothing."""
        if self._closed:
            return
        self._closed = True
        try:
            self._thread.submit(self._close).result()
        except RuntimeError:  # interpreter shutdown stopped the thread first (and PDEATHSIG the zygote with it)
            self._close()
        self._thread.shutdown()

    def _close(self) -> None:
        if self._evaluator is not None:
            self._evaluator.close()
            self._evaluator = None


SHARED = SerialEvaluator()


def as_task(task: Task | str | Path) -> Task:
    """A loaded task (raises TaskError as `load_task`)."""
    return task if isinstance(task, Task) else load_task(task)


_FENCE = re.compile(r"```(?:python|py)?[^\n]*\n(.*?)```", re.DOTALL)


def extract_code(text: str) -> str | None:
    """The candidate in a model's reply: the last fenced block that defines ModelNew, else the last fenced
    block, else the whole reply when it defines ModelNew; None when there is no code."""
    blocks = _FENCE.findall(text)
    with_model = [b for b in blocks if "class ModelNew" in b]
    if with_model:
        return str(with_model[-1])
    if blocks:
        return str(blocks[-1])
    return text if "class ModelNew" in text else None
