"""Proposal threads. Daemon threads, not a ThreadPoolExecutor: at the end of a run a call still waiting on an
LLM (up to its timeout) or on a retry-after must not hold the process open."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

T = TypeVar("T")


class Pool:
    """`workers == 0` runs each job at once in the caller's thread (the offline proposer computes; running it
    beside an evaluation would take CPU from the timed calls)."""

    def __init__(self, workers: int) -> None:
        self._jobs: queue.Queue[tuple[Future[Any], Callable[..., Any], tuple[Any, ...]] | None] = queue.Queue()
        self._threads = [threading.Thread(target=self._work, daemon=True) for _ in range(workers)]
        for thread in self._threads:
            thread.start()

    def submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        future: Future[T] = Future()
        if not self._threads:
            _run(future, fn, args)
        else:
            self._jobs.put((future, fn, args))
        return future

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            _run(*job)

    def close(self) -> None:
        """Cancel jobs not yet started; jobs under way finish on their own (daemon threads)."""
        while True:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                break
            if job is not None:
                job[0].cancel()
        for _ in self._threads:
            self._jobs.put(None)


def _run(future: Future[Any], fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
    if not future.set_running_or_notify_cancel():
        return
    try:
        future.set_result(fn(*args))
    except BaseException as exc:  # handed to whoever reads the future
        future.set_exception(exc)
