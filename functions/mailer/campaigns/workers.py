"""Running a sender's records at once: each SES send waits about 100 ms for its answer, so one
thread at a time would cap a sender near 10 emails a second whatever the quota."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")

# Runs tasks, possibly at once, and returns their results in order. An exception a task raises
# comes back in place of its result; a BaseException (the process dying) propagates.
Concurrently = Callable[[Sequence[Callable[[], T]]], list[T | Exception]]


def _outcome(task: Callable[[], T]) -> T | Exception:
    try:
        return task()
    except Exception as exc:
        return exc


def in_turn(tasks: Sequence[Callable[[], T]]) -> list[T | Exception]:
    """Run the tasks one after another in the calling thread."""
    return [_outcome(task) for task in tasks]


class ThreadPool:
    """Runs tasks on up to `threads` threads, kept for the life of the process (a warm Lambda
    reuses them)."""

    def __init__(self, threads: int) -> None:
        self.threads = threads
        self._executor: ThreadPoolExecutor | None = None

    def __call__(self, tasks: Sequence[Callable[[], T]]) -> list[T | Exception]:
        """Run the tasks at once, up to `threads` at a time; results in the tasks' order."""
        if self.threads <= 1 or len(tasks) <= 1:
            return in_turn(tasks)
        if self._executor is None:
            self._executor = ThreadPoolExecutor(self.threads, thread_name_prefix="sender")
        return list(self._executor.map(_outcome, tasks))
