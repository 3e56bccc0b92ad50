"""Clocks for tests whose limits count per day or hour: windows a test cannot straddle."""

from __future__ import annotations

import time
from collections.abc import Callable

DAY = 24 * 3600


def midday_clock(time_of_day: float = 12 * 3600) -> Callable[[], float]:
    """The wall clock moved on to the next midday UTC and running from there: a test that fills
    a day's limit cannot see the day end under it at midnight. Ahead, never behind, because
    ALTCHA checks a challenge's expiry against the real time."""
    ahead = (time_of_day - time.time() % DAY) % DAY
    return lambda: time.time() + ahead
