"""How the staff console says times and numbers: in people's words, not in stored formats."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")  # the charity's own clock, summer time included


def when(stored: object) -> str:
    """'1 December 2026, 09:00' in London time, from a stored ISO 8601 time ('-' when none)."""
    if not stored:
        return "-"
    try:
        moment = dt.datetime.fromisoformat(str(stored))
    except ValueError:
        return str(stored)  # shown as stored rather than hidden: a person can still read it
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    local = moment.astimezone(LONDON)
    return f"{local.day} {local:%B %Y, %H:%M}"


def day(stored: object) -> str:
    """'1 December 2026' in London, from a stored ISO 8601 time ('-' when none)."""
    text = when(stored)
    return text.partition(",")[0] if text not in ("-", str(stored)) else text


def people(count: int) -> str:
    """'1 person', '2 people'."""
    return f"{count} {'person' if count == 1 else 'people'}"
