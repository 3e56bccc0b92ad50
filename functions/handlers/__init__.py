"""Thin Lambda entry points: each hands its event to the core through the process's container."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def time_left(context: Any) -> Callable[[], float]:
    """Seconds this invocation has left, read from the Lambda context when asked."""
    return lambda: context.get_remaining_time_in_millis() / 1000
