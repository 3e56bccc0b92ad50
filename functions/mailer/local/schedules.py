"""The local stack's scheduler: moto keeps EventBridge Scheduler's schedules but never delivers
them, so `make run` looks every few seconds for campaign schedules that are due and delivers
each to the planner in this process, as the scheduler would deliver it to the planner function,
then deletes it (as ActionAfterCompletion DELETE does on AWS). A schedule two minutes ahead
visibly sends."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Mapping
from typing import Any

from mailer.aws.scheduler import OneTimeSchedules

logger = logging.getLogger(__name__)

POLL_SECONDS = 2.0  # a list call to moto: cheap, and a schedule fires within seconds of its time


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
