"""The audit log: every staff action, who did it and when, kept in the staff table. Subscribers'
addresses never appear in it: callers record resource ids, campaign ids and counts only.

Items: pk "audit#<YYYY-MM>", sk "<ISO time>#<random>", so a month reads newest first.
"""

from __future__ import annotations

import datetime as dt
import itertools
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from boto3.dynamodb.conditions import Key

from mailer.aws.translate import aws_errors

from .identity import StaffMember


@dataclass(frozen=True)
class AuditEntry:
    """One recorded action."""

    at: str
    actor: str
    action: str
    detail: dict[str, str] = field(default_factory=dict)


class AuditLog:
    """Records and lists staff actions."""

    def __init__(self, table: Any, clock: Callable[[], float] = time.time) -> None:
        self._table = table
        self._clock = clock
        # Orders entries of the same second from this process (ties across processes are rare
        # and harmless); the random part keeps two processes from writing the same key.
        self._sequence = itertools.count()

    def record(
        self, actor: StaffMember | str, action: str, detail: Mapping[str, object] | None = None
    ) -> None:
        """Add an entry (actor: a member, or an address for a failed sign-in)."""
        when = dt.datetime.fromtimestamp(self._clock(), dt.UTC)
        at = when.isoformat(timespec="seconds")
        who = actor.email if isinstance(actor, StaffMember) else actor
        with aws_errors("writing the audit log"):
            self._table.put_item(
                Item={
                    "pk": f"audit#{when:%Y-%m}",
                    "sk": f"{at}#{next(self._sequence):09d}#{uuid.uuid4().hex[:8]}",
                    "at": at,
                    "actor": who,
                    "action": action,
                    "detail": {k: str(v) for k, v in (detail or {}).items()},
                }
            )

    def recent(self, months: int = 2, limit: int = 200) -> list[AuditEntry]:
        """The newest entries of the last few months, newest first."""
        entries: list[AuditEntry] = []
        month = dt.datetime.fromtimestamp(self._clock(), dt.UTC).date().replace(day=1)
        for _ in range(months):
            with aws_errors("reading the audit log"):
                items = self._table.query(
                    KeyConditionExpression=Key("pk").eq(f"audit#{month:%Y-%m}"),
                    ScanIndexForward=False,
                    Limit=limit - len(entries),
                )["Items"]
            entries += [
                AuditEntry(i["at"], i["actor"], i["action"], dict(i.get("detail", {})))
                for i in items
            ]
            if len(entries) >= limit:
                break
            month = (month - dt.timedelta(days=1)).replace(day=1)
        return entries
