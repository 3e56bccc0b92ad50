"""Pacing for SES: a token bucket per sender (retries live in aws/retry.py).

Several senders run at once (the SQS event source's maximum concurrency), so each paces itself
at the account's rate divided by that number; together they stay under the SES quota. The clock
and the sleep are injected so tests run in no time and can see every wait.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from threading import Lock


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
