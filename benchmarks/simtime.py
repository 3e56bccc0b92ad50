"""Simulated time for the benchmarks: real code in real threads, one running at a time.

Each task is a thread that runs only while it holds the baton. Sleeping hands the baton to the
task due next and moves the clock to its time, so fifty senders with eight threads each run on
two cores in CPU time, while the clock shows what AWS would take. The code under test gets the
clock and sleep the container injects anyway; nothing is patched.

CPU is charged as the code spends it: a task spawned with a `Cpu` (one Lambda instance: its
threads inherit it) has the CPU time its thread used since it last woke (time.thread_time, real
and per thread, so other work on the machine does not count) turned into simulated time at the
instance's slowdown (1,769 MB / its memory) and queued on that instance's one CPU, which its
threads share as they share a Lambda's. Fakes standing in for AWS run `uncharged()`: their CPU
is this machine's bookkeeping, not the function's.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass
class Cpu:
    """One function instance's CPU: its threads' work runs on it one at a time, `slowdown`
    times slower than on one core of this machine."""

    slowdown: float = 1.0
    free_at: float = 0.0  # simulated time at which the work charged so far is done
    spent: float = 0.0  # CPU seconds of this machine charged
    busy: float = 0.0  # simulated seconds of work charged (spent x slowdown)


class _Task:
    def __init__(self, fn: Callable[[], Any], cpu: Cpu | None = None) -> None:
        self.fn = fn
        self.cpu = cpu
        self.cpu_mark = 0.0  # thread_time when this task last started charging
        self.pending = 0.0  # CPU used and not yet charged
        self.uncharged = 0  # depth of uncharged() blocks it is inside
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

    def spawn(self, fn: Callable[[], Any], cpu: Cpu | None = None) -> _Task:
        """Start a task; it runs when its turn comes (now, after the tasks already due), on
        `cpu`, else on the CPU of the task that spawns it (a function's own threads)."""
        parent = getattr(self._local, "task", None)
        task = _Task(fn, cpu or (parent.cpu if parent is not None else None))
        self._push(task, self.now)
        if parent is not None:  # starting a thread is the simulation's cost (Lambda's pool
            self._pause(parent)  # keeps its threads), not the function's
        threading.Thread(target=self._run, args=(task,), daemon=True).start()
        if parent is not None:
            self._resume(parent)
        return task

    def sleep(self, seconds: float) -> None:
        """Let `seconds` of simulated time pass for the calling task (outside any task, as when
        the benchmark reads results afterwards, no time passes)."""
        task = getattr(self._local, "task", None)
        if task is None:
            return
        self._push(task, self._charge(task) + max(0.0, seconds))
        self._switch(task)

    @contextmanager
    def uncharged(self) -> Iterator[None]:
        """CPU used inside is not the function's (a fake's own work); sleeping inside is fine."""
        task = getattr(self._local, "task", None)
        if task is None:
            yield
            return
        self._pause(task)
        try:
            yield
        finally:
            self._resume(task)

    def pause_charge(self) -> None:
        """Start an uncharged stretch that a hook ends with resume_charge (botocore's events)."""
        task = getattr(self._local, "task", None)
        if task is not None:
            self._pause(task)

    def resume_charge(self) -> None:
        """End the stretch pause_charge began."""
        task = getattr(self._local, "task", None)
        if task is not None and task.uncharged:
            self._resume(task)

    def _pause(self, task: _Task) -> None:
        if not task.uncharged:
            task.pending += time.thread_time() - task.cpu_mark
        task.uncharged += 1

    def _resume(self, task: _Task) -> None:
        task.uncharged -= 1
        if not task.uncharged:
            task.cpu_mark = time.thread_time()

    def _charge(self, task: _Task) -> float:
        """Charge the CPU the task used since it last woke to its instance; return when that
        work is done (now, for a task on no instance)."""
        if not task.uncharged:
            task.pending += time.thread_time() - task.cpu_mark
        spent, task.pending = task.pending, 0.0
        cpu = task.cpu
        if cpu is None or spent <= 0:
            return self.now
        work = spent * cpu.slowdown
        cpu.free_at = max(self.now, cpu.free_at) + work
        cpu.spent += spent
        cpu.busy += work
        return cpu.free_at

    def pool(self, threads: int) -> Callable[[Sequence[Callable[[], T]]], list[T | Exception]]:
        """workers.ThreadPool on simulated threads: `threads` workers take the tasks in turn,
        results in order (an exception in place of its task's result)."""

        def run_all(tasks: Sequence[Callable[[], T]]) -> list[T | Exception]:
            results: list[Any] = [None] * len(tasks)
            queue = iter(enumerate(tasks))
            lock = threading.Lock()

            def worker() -> None:
                while True:
                    with lock:  # never held across a sleep, so no simulated thread waits on it
                        taken = next(queue, None)
                    if taken is None:
                        return
                    index, task = taken
                    try:
                        results[index] = task()
                    except Exception as exc:  # returned in its place, as ThreadPool does
                        results[index] = exc

            if len(tasks) <= 1 or threads <= 1:
                worker()  # in the calling thread, as ThreadPool runs one task
                return results
            self.concurrently([worker] * min(threads, len(tasks)))
            return results

        return run_all

    def join(self, tasks: Sequence[_Task]) -> None:
        """Wait (in simulated time) until every task has finished."""
        me = self._local.task
        self.sleep(0)  # its own work so far comes first
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
        task.cpu_mark = time.thread_time()

    def _run(self, task: _Task) -> None:
        task.go.wait()
        task.go.clear()
        self._local.task = task
        task.cpu_mark = time.thread_time()
        try:
            task.result = task.fn()
            self.sleep(0)  # its last work is charged before anyone waiting sees it end
        except BaseException as exc:  # reported to whoever joins the task
            task.error = exc
        task.finished = True
        for waiter in task.waiters:
            if all(t.finished for t in waiter.joining):
                waiter.joining = ()
                self._push(waiter, self.now)
        self._next()
