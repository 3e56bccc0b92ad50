"""Markers of the SES bounces and complaints already acted on, so a redelivered event is
ignored, and the dashboard's counts of them. They live in the campaigns table (its item kinds:
campaigns/keys.py), whose keys for them are defined here, below campaigns, with the sparse
index listed-by-time that campaign records share (campaigns/keys.py imports them)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable

from boto3.dynamodb.conditions import Attr, Key

from mailer.aws.table import Table
from mailer.errors import ConflictError

# The sparse index listed-by-time holds only items that carry "listed" (their kind) and
# "listed_at" (when): campaign records and SES event markers, never a ledger entry.
BY_TIME_INDEX = "listed-by-time"
LISTED_SES_EVENT = "ses-event"
SES_EVENT_PREFIX = "ses-event#"
SES_EVENT_MARKER_DAYS = 30  # how long a processed SES event is remembered


def listing(kind: str, at: str) -> dict[str, str]:
    """The attributes that put an item in listed-by-time: its kind and its ISO time."""
    return {"listed": kind, "listed_at": at}


def ses_event_key(event_id: str) -> dict[str, str]:
    """The key of the marker that says an SES event was acted on."""
    return {"pk": f"{SES_EVENT_PREFIX}{event_id}", "sk": "processed"}


class SesEventMarkers:
    """Which SES bounce and complaint events were acted on, so a redelivery is ignored."""

    def __init__(self, table: Table, clock: Callable[[], float] = time.time) -> None:
        self._table = table
        self._clock = clock

    def seen(self, event_id: str) -> bool:
        """True if this event was acted on already."""
        return (
            self._table.get(ses_event_key(event_id), action="reading an SES event marker")
            is not None
        )

    def mark(self, event_id: str, kind: str = "") -> None:
        """Remember the event and its kind ("bounce" or "complaint") for
        SES_EVENT_MARKER_DAYS (TTL deletes the marker after; the dashboard counts the rest)."""
        now = self._clock()
        at = dt.datetime.fromtimestamp(now, dt.UTC).isoformat(timespec="seconds")
        try:
            self._table.put(
                {
                    **ses_event_key(event_id),
                    **listing(LISTED_SES_EVENT, at),
                    "kind": kind,
                    "at": at,
                    "expires_at": int(now) + SES_EVENT_MARKER_DAYS * 24 * 3600,
                },
                action="marking an SES event processed",
                condition=Attr("pk").not_exists(),
            )
        except ConflictError:
            return  # a concurrent delivery of the same event marked it first

    def counts_since(self, since_iso: str) -> dict[str, int]:
        """Bounces and complaints acted on since a time (a query of listed-by-time: markers
        live 30 days, and no other item is read)."""
        counts: dict[str, int] = {"bounce": 0, "complaint": 0}
        for item in self._table.query(
            action="counting SES events",
            IndexName=BY_TIME_INDEX,
            KeyConditionExpression=Key("listed").eq(LISTED_SES_EVENT)
            & Key("listed_at").gte(since_iso),
            ProjectionExpression="#kind",
            ExpressionAttributeNames={"#kind": "kind"},
        ):
            if item.get("kind") in counts:
                counts[item["kind"]] += 1
        return counts
