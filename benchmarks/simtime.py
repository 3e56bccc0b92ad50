"""Simulated time for the benchmarks: real code in real threads, one running at a time.

Each task is a thread that runs only while it holds the baton. Sleeping hands the baton to the
task due next and moves the clock to its time, so fifty senders with eight threads each run on
two cores in CPU time, while the clock shows what AWS would take. The code under test gets the
clock and sleep the container injects anyway; nothing is patched.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")


class _Task:
    def __init__(self, fn: Callable[[], Any]) -> None:
        self.fn = fn
        self.go = threading.Event()
        self.finished = False
        self.result: Any = None
        self.error: BaseException | None = None
        self.waiters: list[_Task] = []
        self.joining: Sequence[_Task] = ()


class SimTime:
    """A clock, a sleep, and tasks that take turns by simulated time."""

    def __init__(self, start: float = 1_796_115_600.0) -> None:
        self.now = start
        self._heap: list[tuple[float, int, _Task]] = []
        self._seq = itertools.count()
        self._local = threading.local()
        self._done = threading.Event()

    def __call__(self) -> float:
        """The simulated time (clock and monotonic clock alike)."""
        return self.now

    def spawn(self, fn: Callable[[], Any]) -> _Task:
        """Start a task; it runs when its turn comes (now, after the tasks already due)."""
        task = _Task(fn)
        self._push(task, self.now)
        threading.Thread(target=self._run, args=(task,), daemon=True).start()
        return task

    def sleep(self, seconds: float) -> None:
        """Let `seconds` of simulated time pass for the calling task (outside any task, as when
        the benchmark reads results afterwards, no time passes)."""
        task = getattr(self._local, "task", None)
        if task is None:
            return
        self._push(task, self.now + max(0.0, seconds))
        self._switch(task)

    def join(self, tasks: Sequence[_Task]) -> None:
        """Wait (in simulated time) until every task has finished."""
        me = self._local.task
        pending = [t for t in tasks if not t.finished]
        if not pending:
            return
        me.joining = pending
        for task in pending:
            task.waiters.append(me)
        self._switch(me)

    def concurrently(self, tasks: Sequence[Callable[[], T]]) -> list[T | Exception]:
        """workers.Concurrently on simulated threads: the tasks run at once, results in order."""
        spawned = [self.spawn(task) for task in tasks]
        self.join(spawned)
        results: list[T | Exception] = []
        for task in spawned:
            if task.error is not None and not isinstance(task.error, Exception):
                raise task.error
            results.append(task.error if task.error is not None else task.result)
        return results

    def run(self, fn: Callable[[], T]) -> T:
        """Run `fn` as the first task from the real main thread; return when all tasks end."""
        root = self.spawn(fn)
        self._next()
        self._done.wait()
        if root.error is not None:
            raise root.error
        if not root.finished:
            raise RuntimeError("simulation deadlocked: tasks left waiting with none due")
        return root.result

    # --- the baton -----------------------------------------------------------------------

    def _push(self, task: _Task, at: float) -> None:
        heapq.heappush(self._heap, (at, next(self._seq), task))

    def _next(self) -> None:
        if not self._heap:
            self._done.set()
            return
        at, _, task = heapq.heappop(self._heap)
        self.now = max(self.now, at)
        task.go.set()

    def _switch(self, task: _Task) -> None:
        self._next()
        task.go.wait()
        task.go.clear()

    def _run(self, task: _Task) -> None:
        task.go.wait()
        task.go.clear()
        self._local.task = task
        try:
            task.result = task.fn()
        except BaseException as exc:  # reported to whoever joins the task
            task.error = exc
        task.finished = True
        for waiter in task.waiters:
            if all(t.finished for t in waiter.joining):
                waiter.joining = ()
                self._push(waiter, self.now)
        self._next()
