"""The subscriber store (DynamoDB): subscribers, suppressions and their state changes.

Item kinds in the subscribers table, by partition key prefix:
  sub#<key>          one subscriber (pending, confirmed, unsubscribed, or erased: key only)
  suppression#<key>  never send to this address (complaint, hard bounce, repeated soft bounces)
  bounces#<key>      recent transient bounces, to suppress after three in 30 days
  rate#<bucket>      rate-limit counters (see ratelimit.py)
  formnonce#<nonce>  a subscribe form token already used (see form_tokens.py)
The <key> is the HMAC-SHA256 of the canonical address under a secret pepper (identity.py):
stable, one-way, and safe to log.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

from boto3.dynamodb.conditions import Attr

from mailer.aws.translate import aws_errors
from mailer.errors import ConflictError

from .model import LINK_INDEX, SEND_INDEX, Page, Status, Subscriber


class SubscriberStore:
    """Reads and writes subscribers and suppressions in one DynamoDB table."""

    def __init__(self, table: Any, clock: Callable[[], float] = time.time) -> None:
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

    def by_link(self, link_id: str) -> Subscriber | None:
        """The subscriber whose links carry this id now (an old, rotated id finds nobody)."""
        if not link_id:
            return None
        with aws_errors("finding a subscriber by link"):
            items = self._table.query(
                IndexName=LINK_INDEX,
                KeyConditionExpression="link_id = :id",
                ExpressionAttributeValues={":id": link_id},
                Limit=2,
            )["Items"]
        if len(items) != 1:
            return None
        # The index is eventually consistent: read the record itself and check it still matches.
        subscriber = self.get(items[0]["pk"].removeprefix("sub#"))
        return subscriber if subscriber and subscriber.link_id == link_id else None

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

    def claim_once_per(self, name: str, seconds: int) -> bool:
        """True at most once per `seconds` for `name` (a sliding window, checked here, not by
        TTL, which deletes late): for "at most one such email per subscriber per 6 hours"."""
        now = int(self._clock())
        try:
            with aws_errors("claiming a once-per-window email"):
                self._table.put_item(
                    Item={"pk": f"once#{name}", "at": now, "expires_at": now + seconds + 3600},
                    ConditionExpression=Attr("pk").not_exists() | Attr("at").lte(now - seconds),
                )
        except ConflictError:
            return False
        return True

    def mark_seen(self, name: str) -> None:
        """Remember a name for good (a recipient domain a subscriber confirmed at)."""
        with aws_errors("remembering a seen domain"):
            self._table.put_item(Item={"pk": f"seen#{name}"})

    def seen(self, name: str) -> bool:
        """True if `mark_seen` remembered this name."""
        with aws_errors("reading a seen domain"):
            return "Item" in self._table.get_item(Key={"pk": f"seen#{name}"})

    def suppress(self, key: str, reason: str, now_iso: str) -> None:
        """Never send to this address again (idempotent; the first reason is kept)."""
        try:
            with aws_errors("suppressing an address"):
                self._table.put_item(
                    Item={"pk": f"suppression#{key}", "reason": reason, "at": now_iso},
                    ConditionExpression=Attr("pk").not_exists(),
                )
        except ConflictError:
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
