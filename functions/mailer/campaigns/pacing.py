"""Pacing for SES: a token bucket per sender, shared by its threads (retries: aws/retry.py).

Several senders run at once (the SQS event source's maximum concurrency), so each paces itself
at its share of the rate the campaigns may use: the account's SES quota less a few messages a
second kept free for confirm and other one-off emails (NOTICE_RESERVE_RATE, 1 a second by
default, at most half the quota), divided by the number of senders. The clock and the sleep
are injected so tests run in no time and can see every wait.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from threading import Lock

# What a sender may bank while idle: at least three tokens, or a quarter second of its rate.
# Between one batch and the next a sender waits about 120 ms (the last send's answer, the
# ledger, SQS, the next invoke); a bank smaller than that loses rate for good after every
# batch. More would let all senders burst together above the quota; SES throttles that burst,
# and each refused send waits for a turn of its own to retry (aws/retry.py).
BANKED_TOKENS = 3.0
BANKED_SECONDS = 0.25


# SES refuses any send above its rate in a second, and the senders' banked tokens can line up
# into such a second: a refused send keeps its thread, and so its whole batch, waiting out a
# backoff. Aiming a little below the quota costs less than those waits: in the quota benchmark
# six senders reached 94.2% of R = 200 aiming at all of it and 95.4% aiming at 97%.
QUOTA_SHARE = 0.97


def campaign_rate(quota: float, notice_reserve: float) -> float:
    """What all senders together may send a second: QUOTA_SHARE of the quota less the notices'
    reserve, the reserve never more than half of it (a sandbox's 1 a second still sends)."""
    return QUOTA_SHARE * (quota - min(max(0.0, notice_reserve), quota / 2))


class TokenBucket:
    """Allows `rate` calls a second on average, with bursts of at most `capacity` calls.

    Callers reserve their token under the lock and wait outside it, so many threads can share
    one bucket: each waits exactly until its own turn, and none holds the lock while asleep.
    """

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
        self.capacity = capacity
        self._clock = clock
        self._sleep = sleep
        self._tokens = capacity  # below 0: turns already promised to waiting callers
        self._updated = clock()
        self._lock = Lock()

    @classmethod
    def for_sender(
        cls,
        quota: float,
        notice_reserve: float,
        concurrency: int,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> TokenBucket:
        """One sender's share of the account's quota less the notices' reserve (messages a
        second; the reserve takes at most half the quota)."""
        rate = campaign_rate(quota, notice_reserve) / max(1, concurrency)
        capacity = max(1.0, min(rate, max(BANKED_TOKENS, rate * BANKED_SECONDS)))
        return cls(rate, capacity, clock, sleep)

    def acquire(self) -> float:
        """Take one token, sleeping until it is this caller's turn; return how long it waited."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate)
            self._updated = now
            self._tokens -= 1
            wait = 0.0 if self._tokens >= 0 else -self._tokens / self.rate
        if wait > 0:
            self._sleep(wait)
        return wait
