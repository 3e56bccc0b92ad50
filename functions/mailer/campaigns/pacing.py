"""Pacing for SES: a token bucket per sender, and retries with exponential backoff and jitter.

Several senders run at once (the SQS event source's maximum concurrency), so each paces itself
at the account's rate divided by that number; together they stay under the SES quota. The clock
and the sleep are injected so tests run in no time and can see every wait.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from threading import Lock
from typing import TypeVar

from mailer.errors import ThrottlingError

T = TypeVar("T")


class TokenBucket:
    """Allows `rate` calls a second on average, with bursts of at most `capacity` calls."""

    def __init__(
        self,
        rate: float,
        capacity: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0 or capacity < 1:
            raise ValueError("a token bucket needs a rate above 0 and room for one token")
        self.rate = rate
        self._capacity = capacity
        self._clock = clock
        self._sleep = sleep
        self._tokens = capacity
        self._updated = clock()
        self._lock = Lock()

    @classmethod
    def for_sender(
        cls,
        max_send_rate: float,
        concurrency: int,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> TokenBucket:
        """One sender's share of the account's rate. Capacity 1: a burst from every sender at
        once would otherwise exceed the quota for that second."""
        return cls(max_send_rate / max(1, concurrency), 1.0, clock, sleep)

    def acquire(self) -> float:
        """Take one token, sleeping until there is one; return how long it waited."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self._capacity, self._tokens + (now - self._updated) * self.rate)
            self._updated = now
            if self._tokens >= 1:
                self._tokens -= 1
                return 0.0
            wait = (1 - self._tokens) / self.rate
            self._sleep(wait)
            # The token that accrued while we slept is spent at once.
            self._tokens = 0.0
            self._updated = now + wait
            return wait


class OutOfTimeError(ThrottlingError):
    """Backing off again would outlast the time this invocation has left."""


@dataclass
class Backoff:
    """Retries of throttled calls: exponential delays with full jitter, a few attempts."""

    attempts: int = 6
    base: float = 0.25  # seconds before the first retry, at most
    cap: float = 8.0  # no single wait longer than this
    sleep: Callable[[float], None] = time.sleep
    jitter: Callable[[], float] = field(default=random.random)  # in [0, 1)

    def call(
        self,
        fn: Callable[[], T],
        *,
        before_each: Callable[[], object] | None = None,
        time_left: Callable[[], float] | None = None,
    ) -> T:
        """Call fn; on ThrottlingError wait and retry. Re-raises once attempts or time run out."""
        for attempt in range(self.attempts):
            if before_each is not None:
                before_each()
            try:
                return fn()
            except ThrottlingError:
                if attempt == self.attempts - 1:
                    raise
                # Full jitter spreads the retries of concurrent senders apart (AWS's advice).
                delay = self.jitter() * min(self.cap, self.base * 2**attempt)
                if time_left is not None and delay >= time_left():
                    raise OutOfTimeError("no time left to back off and retry") from None
                self.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover
