"""The numbers the staff dashboard shows: subscribers by audience and status, and how many
confirmed subscribers each audience had at the end of each month (for the chart)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mailer.aws.translate import aws_errors

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


def take_census(table: Any, audiences: Mapping[str, str]) -> Census:
    """Count the subscribers table's records (a scan of a few attributes, page by page)."""
    census = Census({a: Counter() for a in audiences})
    kwargs: dict[str, Any] = {
        "ProjectionExpression": "pk, #status, audience, confirmed_at",
        "ExpressionAttributeNames": {"#status": "status"},
    }
    while True:
        with aws_errors("counting subscribers"):
            page = table.scan(**kwargs)
        for item in page["Items"]:
            _count(census, item)
        if "LastEvaluatedKey" not in page:
            return census
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _count(census: Census, item: Mapping[str, Any]) -> None:
    kind = str(item.get("pk", "")).split("#", 1)[0]
    if kind == "suppression":
        census.suppressed += 1
        return
    status, audience = item.get("status"), item.get("audience")
    if kind != "sub" or status not in STATUSES or audience not in census.by_audience:
        return  # erased records keep no audience; other item kinds are not people
    census.by_audience[audience][status] += 1
    if status == "confirmed" and item.get("confirmed_at"):
        month = str(item["confirmed_at"])[:7]
        census.confirmed_by_month.setdefault(audience, Counter())[month] += 1


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
