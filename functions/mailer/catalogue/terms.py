"""The school year's summer holiday, for the groups that follow it (schools): an awareness day
falling in it is featured in the last digest before the holiday starts, while teachers can still
plan a lesson or an assembly for it, and in no digest after that.

England's default: state schools break up around the fourth week of July and go back in the
first days of September, so 22 July to 31 August. The dates vary by local authority and academy
trust (and Scotland's and Northern Ireland's holidays start weeks earlier): the
`SCHOOL_SUMMER_HOLIDAY` setting changes them.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, replace

from .awareness import AwarenessDay, Occurrence, days_within, soonest_first

MonthDay = tuple[int, int]  # (month, day) of a date every year
ENGLAND: tuple[MonthDay, MonthDay] = ((7, 22), (8, 31))
# What the draft says beside such a day, so staff see why a day weeks away is already here.
HOLIDAY_WHY = "falls in the school summer holidays, so it is here before they start"


@dataclass(frozen=True)
class TermCalendar:
    """The summer holiday's first and last day (both in it) every year, and the groups that
    follow it; a holiday ends in the year it starts."""

    first: MonthDay = ENGLAND[0]
    last: MonthDay = ENGLAND[1]
    audiences: frozenset[str] = frozenset({"schools"})

    def __post_init__(self) -> None:
        """Refuse a date no year has, or a holiday that does not end after it starts."""
        for month, day in (self.first, self.last):
            if not (1 <= month <= 12 and 1 <= day <= calendar.monthrange(2024, month)[1]):
                raise ValueError(f"{month:02d}-{day:02d} is not a day of the year")
        if self.first >= self.last:
            raise ValueError("the summer holiday must end after it starts, in the same year")

    def holiday(self, year: int) -> tuple[dt.date, dt.date]:
        """The holiday's first and last day in `year`."""
        return _on(year, self.first), _on(year, self.last)

    def in_holiday(self, on: dt.date) -> bool:
        """Whether a date falls in that year's summer holiday."""
        first, last = self.holiday(on.year)
        return first <= on <= last

    def last_digest_before(self, year: int) -> dt.date:
        """The 1st of the last month whose digest goes out before `year`'s holiday starts (1
        July for a holiday starting 22 July; 1 July too for one starting 1 August)."""
        return (self.holiday(year)[0] - dt.timedelta(days=1)).replace(day=1)

    def days_within(
        self,
        days: Iterable[AwarenessDay],
        start: dt.date,
        window: dt.timedelta,
        audience: str,
    ) -> list[Occurrence]:
        """The days a digest going out on `start` (a 1st) features for `audience`: those
        within `window`, except that for a group following the calendar a day in the summer
        holiday is featured in the last digest before it instead (saying why), soonest first."""
        days = list(days)
        coming = days_within(days, start, window, audience)
        if audience not in self.audiences:
            return coming
        found = [o for o in coming if not self.in_holiday(o.on)]
        # A holiday starting on 1 January is announced in the December before it.
        for year in (start.year, start.year + 1):
            first, last = self.holiday(year)
            if self.last_digest_before(year) == start:
                through = days_within(days, start, last - start + dt.timedelta(days=1), audience)
                found += [replace(o, why=HOLIDAY_WHY) for o in through if o.on >= first]
        return soonest_first(found)


ENGLAND_SCHOOLS = TermCalendar()  # the default: England's dates, followed by schools


def _on(year: int, month_day: MonthDay) -> dt.date:
    """A yearly date in `year` (29 February is the 28th in other years, as for awareness days)."""
    month, day = month_day
    return dt.date(year, month, min(day, calendar.monthrange(year, month)[1]))
