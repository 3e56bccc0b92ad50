"""The numbers the staff dashboard shows: subscribers by audience and status, and how many
confirmed subscribers each audience had at the end of each month (for the chart)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from mailer.aws.table import Table
from mailer.subscribers.census import counted, live, scanned

STATUSES = ("pending", "confirmed", "unsubscribed")


@dataclass
class Census:
    """Subscribers counted by audience and status, suppressed addresses, and growth by month."""

    by_audience: dict[str, Counter[str]] = field(default_factory=dict)
    suppressed: int = 0
    confirmed_by_month: dict[str, Counter[str]] = field(default_factory=dict)  # audience -> month

    def growth(self, audience: str, months: list[str]) -> list[int]:
        """Confirmed subscribers of an audience at the end of each month (still subscribed)."""
        joined = self.confirmed_by_month.get(audience, Counter())
        running = sum(n for month, n in joined.items() if months and month < months[0])
        totals = []
        for month in months:
            running += joined[month]
            totals.append(running)
        return totals


def take_census(table: Table, audiences: Mapping[str, str], today: dt.date | None = None) -> Census:
    """The dashboard's numbers, from the census counters every subscriber write keeps (a
    handful of reads, however many subscribers there are; subscribers/census.py)."""
    return census_from_cells(counted(table), audiences, today)


def scan_census(table: Table, audiences: Mapping[str, str], today: dt.date | None = None) -> Census:
    """The same numbers from a scan of the whole table: the counters' check, never a page."""
    return census_from_cells(scanned(table), audiences, today)


def census_from_cells(
    cells: Mapping[str, int], audiences: Mapping[str, str], today: dt.date | None = None
) -> Census:
    """Turn census cells ("confirmed#schools", "joined#schools#2026-11", ...) into the
    dashboard's table and chart; pending records past their expiry day no longer count."""
    today = today or dt.datetime.now(dt.UTC).date()
    census = Census({a: Counter() for a in audiences})
    for name, n in live(cells, today):
        kind, _, rest = name.partition("#")
        if kind == "suppressed":
            census.suppressed += n
            continue
        audience, _, tail = rest.partition("#")
        if audience not in census.by_audience:
            continue  # erased records keep no audience; a retired audience is not shown
        if kind in ("confirmed", "unsubscribed"):
            census.by_audience[audience][kind] += n
        elif kind == "pending":
            census.by_audience[audience]["pending"] += n
        elif kind == "joined":
            census.confirmed_by_month.setdefault(audience, Counter())[tail] += n
    return census


# SES reviews an account whose bounce rate reaches 5% or whose complaint rate reaches 0.1%;
# the dashboard warns at half of each, while there is time to act.
BOUNCE_REVIEW, COMPLAINT_REVIEW = 0.05, 0.001


@dataclass(frozen=True)
class Reputation:
    """Bounce and complaint rates over the last 30 days, against SES's review thresholds."""

    sent: int
    bounces: int
    complaints: int

    @property
    def bounce_rate(self) -> float:
        """Bounces per email sent."""
        return self.bounces / self.sent if self.sent else 0.0

    @property
    def complaint_rate(self) -> float:
        """Complaints per email sent."""
        return self.complaints / self.sent if self.sent else 0.0

    @property
    def warnings(self) -> list[str]:
        """What needs attention, in words for staff."""
        found = []
        if self.bounce_rate >= BOUNCE_REVIEW / 2:
            found.append(
                f"Bounces are {self.bounce_rate:.1%} of emails sent; SES reviews accounts at "
                f"{BOUNCE_REVIEW:.0%}. Check recent imports and the sign-up form."
            )
        if self.complaint_rate >= COMPLAINT_REVIEW / 2:
            found.append(
                f"Complaints are {self.complaint_rate:.2%} of emails sent; SES reviews accounts "
                f"at {COMPLAINT_REVIEW:.1%}. Check what recent emails said and who got them."
            )
        return found
