"""The local stack's scheduler: moto keeps EventBridge Scheduler's schedules but never delivers
them, so `make run` looks every few seconds for campaign schedules that are due and delivers
each to the planner in this process, as the scheduler would deliver it to the planner function,
then deletes it (as ActionAfterCompletion DELETE does on AWS). A schedule two minutes ahead
visibly sends."""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from mailer.aws.scheduler import OneTimeSchedules

logger = logging.getLogger(__name__)

POLL_SECONDS = 2.0  # a list call to moto: cheap, and a schedule fires within seconds of its time
# Names a file of seconds the stack's clock runs ahead of the real time: set by the browser tests,
# which move the whole stack on to a schedule's time rather than wait the minute or two the
# console insists on (times are set to the minute, at least a minute ahead). Unset: real time.
CLOCK_FILE = "LOCAL_STACK_CLOCK_FILE"


def stack_clock(environ: Mapping[str, str] = os.environ) -> Callable[[], float]:
    """The local stack's clock: time.time, or, with CLOCK_FILE set, the real time plus the
    seconds the file holds now (none while it does not exist)."""
    name = environ.get(CLOCK_FILE)
    if not name:
        return time.time
    path = Path(name)

    def clock() -> float:
        try:
            ahead = float(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            ahead = 0.0
        return time.time() + ahead

    return clock


class LocalScheduler:
    """Delivers due one-time schedules from `book` to `deliver`, on `clock`'s time."""

    def __init__(
        self,
        book: OneTimeSchedules,
        deliver: Callable[[Mapping[str, Any]], Any],
        clock: Callable[[], float],
    ) -> None:
        self._book = book
        self._deliver = deliver
        self._clock = clock
        self._stop = threading.Event()

    def deliver_due(self) -> int:
        """Deliver every schedule whose time has come; how many were delivered."""
        now = dt.datetime.fromtimestamp(self._clock(), dt.UTC)
        delivered = 0
        for pending in self._book.pending():
            if pending.at > now:
                continue
            try:
                self._deliver(pending.event)
                delivered += 1
            except Exception:  # the scheduler would retry, then dead-letter: say so, move on
                logger.exception("a campaign schedule could not be delivered; it is dropped")
            self._book.delete(pending.name)
        return delivered

    def start(self) -> None:
        """Deliver due schedules every POLL_SECONDS from a background thread, until stop()."""
        threading.Thread(target=self._run, name="local-scheduler", daemon=True).start()

    def stop(self) -> None:
        """Stop the background thread after its current round."""
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(POLL_SECONDS):
            try:
                self.deliver_due()
            except Exception:  # moto gone at shutdown, or a bad schedule: keep the stack up
                logger.exception("the local scheduler could not read the schedules")
