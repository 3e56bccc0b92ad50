"""When a scheduled campaign goes out: staff say a day and a time on London's clock (summer time
included), the store and the scheduler keep the moment in UTC, and people are shown it back in
London's words. The rules a time must meet are here, once, for the console and the CLI."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from mailer.errors import MailerError

LONDON = ZoneInfo("Europe/London")
# Ahead enough that the schedule is set before it is due; a year is as far as anyone plans.
SOONEST = dt.timedelta(minutes=1)
LATEST = dt.timedelta(days=366)


class SendTimeError(MailerError):
    """A time a campaign cannot be scheduled for, in words for the person who chose it."""


def london_moment(day: dt.date, time: dt.time) -> dt.datetime:
    """The UTC moment of `time` on `day` in London; an hour the clocks skip is refused, and in
    the hour that happens twice (late October) the first, still in summer time, is meant."""
    wall = dt.datetime.combine(day, time.replace(second=0, microsecond=0), LONDON)
    moment = wall.astimezone(dt.UTC)
    if moment.astimezone(LONDON).replace(tzinfo=None) != wall.replace(tzinfo=None):
        raise SendTimeError(
            f"{time:%H:%M} does not happen in London on {day.day} {day:%B %Y}: the clocks go "
            "forward an hour that night. Choose another time."
        )
    return moment


def check_send_time(moment: dt.datetime, now: dt.datetime, *, first: dt.date | None = None) -> None:
    """Refuse a moment in the past, too soon to set, over a year ahead, or (a month's digest,
    `first` its 1st) after that month ends in London: before its 1st is the sender's choice
    (schools break up before the holidays)."""
    if moment < now + SOONEST:
        raise SendTimeError("Choose a time at least a minute from now.")
    if moment > now + LATEST:
        raise SendTimeError("Choose a time within the next year.")
    if first is None:
        return
    local = moment.astimezone(LONDON).date()
    if (local.year, local.month) > (first.year, first.month):
        raise SendTimeError(
            f"This is the {first:%B %Y} digest: choose a time before {first:%B %Y} ends."
        )


def london_words(stored: str) -> str:
    """'Tuesday 8 December 2026 at 09:00 (GMT)' for a stored UTC moment."""
    local = dt.datetime.fromisoformat(stored).astimezone(LONDON)
    return f"{local:%A} {local.day} {local:%B %Y} at {local:%H:%M} ({local.tzname()})"


def stored_moment(moment: dt.datetime) -> str:
    """The moment as the draft stores it: ISO 8601 in UTC, to the second."""
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds")
