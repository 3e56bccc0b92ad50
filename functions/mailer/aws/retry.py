"""The one retry policy for AWS calls: exponential backoff with full jitter, bounded in attempts
and in the time an invocation has left. Sleep and jitter are injected, so tests never wait."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from mailer.errors import OutOfTimeError, ThrottlingError

T = TypeVar("T")


class Pace(Protocol):
    """A pacing turn per attempt (campaigns/pacing.py's TokenBucket)."""

    def acquire(self) -> float:
        """Wait for this caller's turn; how long it waited."""
        ...


@dataclass(frozen=True)
class Backoff:
    """Retries a call that failed with a retryable error: up to `attempts` calls in all, waiting
    a random time up to min(cap, base * 2**n) before retry n+1 (AWS's "full jitter")."""

    attempts: int = 6
    base: float = 0.25  # seconds before the first retry, at most
    cap: float = 8.0  # no single wait longer than this
    sleep: Callable[[float], None] = time.sleep
    jitter: Callable[[], float] = field(default=random.random)  # in [0, 1)

    def call(
        self,
        fn: Callable[[], T],
        *,
        retry_on: tuple[type[Exception], ...] = (ThrottlingError,),
        pace: Pace | None = None,
        time_left: Callable[[], float] | None = None,
    ) -> T:
        """Call fn, retrying on `retry_on`; re-raise the last error once attempts or time run out.

        With `pace`, every attempt takes a turn first, a retry too: a throttled try means the
        service's window is full, and a turn given back for it put two sends in the next turn
        (in the quota benchmark at R = 14, 688 throttles for 1,500 emails and 91.9% of R where
        73 and 94.3% without).
        """
        for attempt in range(self.attempts):
            if pace is not None:
                pace.acquire()
            try:
                return fn()
            except retry_on:
                if attempt == self.attempts - 1:
                    raise
                # Full jitter spreads the retries of concurrent callers apart.
                delay = self.jitter() * min(self.cap, self.base * 2**attempt)
                if time_left is not None and delay >= time_left():
                    raise OutOfTimeError("no time left to back off and retry") from None
                self.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover
