"""The audit log: every staff action, who did it and when, in a table of its own that no role
may update or delete from (the template grants PutItem and Query only), so what happened stays
written. Subscribers' addresses never appear in it: callers record resource ids, campaign ids
and counts only, and what a stranger typed at sign-in is kept only as a keyed hash.

Members are recorded by Cognito's `sub` (their address can change; the sub cannot), with the
address they had at the time beside it.

Items: pk "audit#<YYYY-MM>", sk "<ISO time>#<sequence>#<random>", so a month reads newest first
and a page of the log resumes after the last entry it showed.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from boto3.dynamodb.conditions import Attr, Key
from email_validator import EmailNotValidError, validate_email

from mailer.aws.table import Table

from .identity import StaffMember

PAGE_SIZE = 50
MAX_MONTHS = 25  # how far back a page of the log looks (two years and the current month)
_CURSOR = re.compile(r"^(\d{4}-\d{2})\|([0-9T:+\-]{25}#\d{9}#[0-9a-f]{8})$")


@dataclass(frozen=True)
class AuditEntry:
    """One recorded action."""

    at: str
    actor: str  # the member's sub (or what the caller named: "cli", "" for nobody known)
    action: str
    detail: dict[str, str] = field(default_factory=dict)
    email: str = ""  # the member's address when they acted
    key: str = field(default="", repr=False, compare=False)  # where a page resumes


@dataclass(frozen=True)
class AuditFilter:
    """Which entries a page shows: by member (sub or address), action, and days (inclusive)."""

    member: str = ""
    action: str = ""
    since: dt.date | None = None
    until: dt.date | None = None


@dataclass(frozen=True)
class AuditPage:
    """A page of entries, newest first, and where the next page starts ("" at the end)."""

    entries: list[AuditEntry]
    next_cursor: str = ""


class AuditLog:
    """Records and lists staff actions."""

    def __init__(
        self,
        table: Table,
        clock: Callable[[], float] = time.time,
        digest: Callable[[str], str] | None = None,
    ) -> None:
        """`digest`: a keyed one-way hash (AddressKeys.bucket) for values strangers typed."""
        self._table = table
        self._clock = clock
        self._digest = digest or (lambda value: "")
        # Orders entries of the same second from this process (ties across processes are rare
        # and harmless); the random part keeps two processes from writing the same key.
        self._sequence = itertools.count()

    def record(
        self, actor: StaffMember | str, action: str, detail: Mapping[str, object] | None = None
    ) -> None:
        """Add an entry (actor: a member, or a name such as "cli" for other callers)."""
        when = dt.datetime.fromtimestamp(self._clock(), dt.UTC)
        at = when.isoformat(timespec="seconds")
        who, email = (actor.subject, actor.email) if isinstance(actor, StaffMember) else (actor, "")
        self._table.put(
            {
                "pk": f"audit#{when:%Y-%m}",
                "sk": f"{at}#{next(self._sequence) % 10**9:09d}#{uuid.uuid4().hex[:8]}",
                "at": at,
                "actor": who,
                "email": email,
                "action": action,
                "detail": {k: str(v) for k, v in (detail or {}).items()},
            },
            action="writing the audit log",
        )

    def typed(self, value: str) -> dict[str, str]:
        """What the log may say of a value a stranger typed: its keyed hash (to see that one
        value recurs) and whether it was a well-formed address, never the value itself."""
        try:
            validate_email(value, check_deliverability=False)
            well_formed = "yes"
        except EmailNotValidError:
            well_formed = "no"
        return {
            "typed": self._digest(f"audit-typed:{value.strip().lower()}")[:16],
            "well-formed address": well_formed,
        }

    def recent(self, months: int = 2, limit: int = 200) -> list[AuditEntry]:
        """The newest entries of the last few months, newest first."""
        until = dt.datetime.fromtimestamp(self._clock(), dt.UTC).date()
        since = _month_start(until)
        for _ in range(months - 1):
            since = _month_start(since - dt.timedelta(days=1))
        return self.page(AuditFilter(since=since), limit=limit).entries

    def page(
        self, where: AuditFilter = AuditFilter(), cursor: str = "", limit: int = PAGE_SIZE
    ) -> AuditPage:
        """A page of the entries `where` selects, newest first, after `cursor` (a page's
        next_cursor; anything malformed starts from the newest)."""
        entries: list[AuditEntry] = []
        start = _CURSOR.match(cursor)
        for month in self._months(where, start[1] if start else ""):
            kwargs: dict[str, Any] = {
                "KeyConditionExpression": _key_condition(month, where),
                "ScanIndexForward": False,
            }
            if start and start[1] == month:
                kwargs["ExclusiveStartKey"] = {"pk": f"audit#{month}", "sk": start[2]}
            conditions = _filters(where)
            if conditions is not None:
                kwargs["FilterExpression"] = conditions
            # Filters apply after the read: pages of a page's worth, until the page is full.
            for item in self._table.query(action="reading the audit log", Limit=limit, **kwargs):
                entries.append(_entry(item))
                if len(entries) == limit:
                    return AuditPage(entries, f"{month}|{entries[-1].key}")
        return AuditPage(entries)

    def _months(self, where: AuditFilter, from_month: str) -> Iterator[str]:
        today = dt.datetime.fromtimestamp(self._clock(), dt.UTC).date()
        month = _month_start(min(where.until or today, today))
        if from_month:
            month = min(month, dt.date(int(from_month[:4]), int(from_month[5:7]), 1))
        floor = _month_start(where.since) if where.since else None
        for _ in range(MAX_MONTHS):
            if floor and month < floor:
                return
            yield f"{month:%Y-%m}"
            month = _month_start(month - dt.timedelta(days=1))


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _key_condition(month: str, where: AuditFilter) -> Any:
    condition = Key("pk").eq(f"audit#{month}")
    low = where.since.isoformat() if where.since else ""
    high = (where.until + dt.timedelta(days=1)).isoformat() if where.until else ""
    if low and high:
        return condition & Key("sk").between(low, high)
    if low:
        return condition & Key("sk").gte(low)
    if high:
        return condition & Key("sk").lt(high)
    return condition


def _filters(where: AuditFilter) -> Any:
    conditions = []
    if where.member:
        conditions.append(Attr("actor").eq(where.member) | Attr("email").eq(where.member))
    if where.action:
        conditions.append(Attr("action").eq(where.action))
    if not conditions:
        return None
    combined = conditions[0]
    for condition in conditions[1:]:
        combined = combined & condition
    return combined


def _entry(item: Mapping[str, Any]) -> AuditEntry:
    return AuditEntry(
        str(item["at"]),
        str(item.get("actor", "")),
        str(item["action"]),
        {str(k): str(v) for k, v in dict(item.get("detail", {})).items()},
        str(item.get("email", "")),
        str(item["sk"]),
    )
