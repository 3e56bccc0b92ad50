"""Rate limits that hold across Lambda containers: fixed-window counters in DynamoDB with TTL."""

from __future__ import annotations

import time
from collections.abc import Callable

from mailer.aws.table import Table
from mailer.errors import ConflictError


class RateLimiter:
    """Counts hits per bucket and window; refuses once a bucket reaches its limit."""

    def __init__(
        self, table: Table, digest: Callable[[str], str], clock: Callable[[], float] = time.time
    ) -> None:
        """`digest`: a bucket's stored name, keyed and one-way (AddressKeys.bucket)."""
        self._table = table
        self._digest = digest
        self._clock = clock

    def count(self, bucket: str, window_seconds: int) -> int:
        """Hits in the bucket's current window, without counting one."""
        now = int(self._clock())
        window_start = now - now % window_seconds
        item = self._table.get(
            {"pk": f"rate#{self._digest(bucket)}#{window_start}"}, action="reading a rate limit"
        )
        return int(item["hits"]) if item else 0

    def hit(self, bucket: str, limit: int, window_seconds: int) -> bool:
        """Count one hit; False when the bucket is already full for this window.

        The window's start is part of the key, so a counter that TTL has not deleted yet
        can never be counted against the next window.
        """
        now = int(self._clock())
        window_start = now - now % window_seconds
        digest = self._digest(bucket)  # no raw IP or address stored, none guessable offline
        try:
            self._table.update(
                {"pk": f"rate#{digest}#{window_start}"},
                action="counting a rate limit",
                expression="ADD hits :one SET expires_at = :expires",
                condition="attribute_not_exists(hits) OR hits < :limit",
                values={
                    ":one": 1,
                    ":limit": limit,
                    ":expires": window_start + window_seconds + 3600,
                },
            )
        except ConflictError:
            return False
        return True
