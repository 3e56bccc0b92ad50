"""The subscriber store (DynamoDB): subscribers, suppressions and their state changes.

Item kinds in the subscribers table, by partition key prefix:
  sub#<key>          one subscriber (pending, confirmed, unsubscribed, or erased: key only)
  suppression#<key>  never send to this address (complaint, hard bounce, repeated soft bounces)
  bounces#<key>      recent transient bounces, to suppress after three in 30 days
  rate#<bucket>      rate-limit counters (see ratelimit.py)
The <key> is the SHA-256 of the normalised address: stable, one-way, and safe to log.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

from boto3.dynamodb.conditions import Attr

from mailer.aws.clients import aws_errors

SEND_INDEX = "by-send-group"  # sparse GSI: only confirmed subscribers carry `send_group`


class Status(StrEnum):
    """Where a subscriber is in their life cycle."""

    PENDING = "pending"
    CONFIRMED = "confirmed"
    UNSUBSCRIBED = "unsubscribed"
    ERASED = "erased"


def normalise_address(address: str) -> str:
    """The form of an address used for identity: trimmed and lower-cased."""
    return address.strip().lower()


def subscriber_key(address: str) -> str:
    """The one-way key of an address (hex SHA-256 of its normalised form)."""
    return hashlib.sha256(normalise_address(address).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Consent:
    """Evidence of what a subscriber agreed to, and when."""

    at: str
    form_version: str
    statement: str


@dataclass(frozen=True)
class Subscriber:
    """One subscriber as stored."""

    key: str
    email: str
    audience: str
    topics: tuple[str, ...] = ()
    name: str = ""
    organisation: str = ""
    status: Status = Status.PENDING
    created_at: str = ""
    confirmed_at: str = ""
    updated_at: str = ""
    expires_at: int | None = None  # pending records only; TTL deletes late, so check it too
    form_version: str = ""  # which subscribe form the person filled in
    consent: Consent | None = None

    def is_expired(self, now: float) -> bool:
        """True for a pending record past its expiry time."""
        return (
            self.status is Status.PENDING
            and self.expires_at is not None
            and (self.expires_at <= now)
        )

    def to_item(self) -> dict[str, Any]:
        """The DynamoDB item."""
        item = {k: v for k, v in asdict(self).items() if v not in (None, "", (), {})}
        item.pop("key")
        item["pk"] = f"sub#{self.key}"
        item["status"] = self.status.value
        if "topics" in item:
            item["topics"] = list(item["topics"])
        if self.status is Status.CONFIRMED:
            item["send_group"] = self.audience
        return item

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> Subscriber:
        """Rebuild from a DynamoDB item."""
        consent = item.get("consent")
        return cls(
            key=item["pk"].removeprefix("sub#"),
            email=item.get("email", ""),
            audience=item.get("audience", ""),
            topics=tuple(item.get("topics", ())),
            name=item.get("name", ""),
            organisation=item.get("organisation", ""),
            status=Status(item["status"]),
            created_at=item.get("created_at", ""),
            confirmed_at=item.get("confirmed_at", ""),
            updated_at=item.get("updated_at", ""),
            expires_at=int(item["expires_at"]) if "expires_at" in item else None,
            form_version=item.get("form_version", ""),
            consent=Consent(**consent) if consent else None,
        )


@dataclass(frozen=True)
class Page:
    """One page of a query, and where the next one starts (None when done)."""

    subscribers: list[Subscriber]
    next_start: dict[str, Any] | None


class SubscriberStore:
    """Reads and writes subscribers and suppressions in one DynamoDB table."""

    def __init__(self, table: Any, clock: Any = time.time) -> None:
        self._table = table
        self._clock = clock

    def get(self, key: str) -> Subscriber | None:
        """The subscriber with this key; an expired pending record counts as absent."""
        with aws_errors("reading a subscriber"):
            item = self._table.get_item(Key={"pk": f"sub#{key}"}, ConsistentRead=True).get("Item")
        if not item:
            return None
        subscriber = Subscriber.from_item(item)
        return None if subscriber.is_expired(self._clock()) else subscriber

    def put(self, subscriber: Subscriber) -> None:
        """Write a whole subscriber as it is (seeding and tests; changes go through replace)."""
        with aws_errors("writing a subscriber"):
            self._table.put_item(Item=subscriber.to_item())

    def put_unless_confirmed(self, subscriber: Subscriber) -> None:
        """Write a pending record, unless someone confirmed this address meanwhile."""
        condition = Attr("pk").not_exists() | Attr("status").ne(Status.CONFIRMED.value)
        with aws_errors("writing a subscriber"):
            self._table.put_item(Item=subscriber.to_item(), ConditionExpression=condition)

    def replace(self, old: Subscriber, new: Subscriber) -> None:
        """Write `new` only if the stored record is still exactly as `old` was read.

        `updated_at` works as a version: two concurrent changes cannot both win.
        """
        condition = Attr("status").eq(old.status.value) & (
            Attr("updated_at").eq(old.updated_at)
            if old.updated_at
            else Attr("updated_at").not_exists()
        )
        with aws_errors("updating a subscriber"):
            self._table.put_item(Item=new.to_item(), ConditionExpression=condition)

    def erase(self, key: str, now_iso: str) -> None:
        """Remove everything about a subscriber except the one-way key and the fact of erasure."""
        with aws_errors("erasing a subscriber"):
            self._table.put_item(
                Item={"pk": f"sub#{key}", "status": Status.ERASED.value, "updated_at": now_iso}
            )

    def confirmed_page(
        self, audience: str, start: dict[str, Any] | None = None, limit: int = 100
    ) -> Page:
        """One page of confirmed subscribers in an audience, by Query on the sparse index."""
        kwargs: dict[str, Any] = {
            "IndexName": SEND_INDEX,
            "KeyConditionExpression": "send_group = :group",
            "ExpressionAttributeValues": {":group": audience},
            "Limit": limit,
        }
        if start:
            kwargs["ExclusiveStartKey"] = start
        with aws_errors("listing subscribers"):
            response = self._table.query(**kwargs)
        return Page(
            [Subscriber.from_item(item) for item in response["Items"]],
            response.get("LastEvaluatedKey"),
        )

    def confirmed(self, audience: str, page_size: int = 100) -> Iterator[Subscriber]:
        """Every confirmed subscriber in an audience, page by page."""
        start = None
        while True:
            page = self.confirmed_page(audience, start, page_size)
            yield from page.subscribers
            if not page.next_start:
                return
            start = page.next_start

    # --- suppression ------------------------------------------------------------------------

    def suppress(self, key: str, reason: str, now_iso: str) -> None:
        """Never send to this address again (idempotent; the first reason is kept)."""
        with aws_errors("suppressing an address"):
            try:
                self._table.put_item(
                    Item={"pk": f"suppression#{key}", "reason": reason, "at": now_iso},
                    ConditionExpression=Attr("pk").not_exists(),
                )
            except self._table.meta.client.exceptions.ConditionalCheckFailedException:
                return

    def is_suppressed(self, key: str) -> bool:
        """True if the address must never be sent to."""
        with aws_errors("reading a suppression"):
            item = self._table.get_item(Key={"pk": f"suppression#{key}"}).get("Item")
        return item is not None

    def record_transient_bounce(self, key: str, now: int, window: int = 30 * 24 * 3600) -> int:
        """Remember one transient bounce; return how many fell within the window.

        Two bounces for one address arriving at the same instant may count as one; a third
        bounce soon after still trips the limit, so the race costs at most one extra email.
        """
        with aws_errors("recording a bounce"):
            item = self._table.get_item(Key={"pk": f"bounces#{key}"}).get("Item") or {}
            recent = [int(t) for t in item.get("at", []) if int(t) > now - window]
            recent.append(now)
            self._table.put_item(
                Item={"pk": f"bounces#{key}", "at": recent, "expires_at": now + window}
            )
        return len(recent)
