"""The subscriber store (DynamoDB): subscribers, suppressions and their state changes.

Item kinds in the subscribers table, by partition key prefix:
  sub#<key>          one subscriber (pending, confirmed, unsubscribed, or erased: key only)
  suppression#<key>  never send to this address (complaint, hard bounce, repeated soft bounces)
  bounces#<key>      recent transient bounces, to suppress after three in 30 days
  rate#<bucket>      rate-limit counters (see ratelimit.py)
  formnonce#<nonce>  a subscribe form token already used (see form_tokens.py)
  statement#<id>     words people were shown (the consent statement and its form), stored
                     once per version (provenance.py)
  census#<shard>     counters of subscribers by group and status (census.py)
  repermission#<key> a re-permission email claimed for an imported address (imports)
Every write of a subscriber or a suppression is one transaction with its census counters.
The <key> is the HMAC-SHA256 of the canonical address under a secret pepper (identity.py):
stable, one-way, and safe to log.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

from boto3.dynamodb.conditions import Attr

from mailer.aws.transactions import transact
from mailer.aws.translate import aws_errors
from mailer.errors import ConflictError, StoreError

from .census import (
    CENSUS_PREFIX,
    SHARDS,
    counted,
    counter_update,
    delta,
    scanned,
    suppression_kind,
)
from .model import LINK_INDEX, SEND_INDEX, Page, Status, Subscriber
from .provenance import Statement

_ATTEMPTS = 3  # re-reads when a record changed between our read and our write


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

    def items(self, pks: list[str]) -> dict[str, dict[str, Any]]:
        """Stored items by partition key, read 100 at a time (BatchGetItem), as stored."""
        found: dict[str, dict[str, Any]] = {}
        client = self._table.meta.client  # the resource's client: plain Python values
        unique = list(dict.fromkeys(pks))
        for start in range(0, len(unique), 100):
            request = {
                self._table.name: {
                    "Keys": [{"pk": pk} for pk in unique[start : start + 100]],
                    "ConsistentRead": True,
                }
            }
            for attempt in range(8):
                with aws_errors("reading subscribers"):
                    response = client.batch_get_item(RequestItems=request)
                for item in response["Responses"].get(self._table.name, []):
                    found[item["pk"]] = item
                request = response.get("UnprocessedKeys") or {}
                if not request:
                    break
                time.sleep(min(1.0, 0.05 * 2**attempt))  # DynamoDB asked us to slow down
            else:
                raise StoreError("reading subscribers: DynamoDB kept some keys back")
        return found

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

    def raw(self, key: str) -> dict[str, Any] | None:
        """The subscriber item exactly as stored (expired, erased and all)."""
        with aws_errors("reading a subscriber"):
            return self._table.get_item(Key={"pk": f"sub#{key}"}, ConsistentRead=True).get("Item")

    def _write(
        self,
        action: str,
        old: dict[str, Any] | None,
        new: dict[str, Any] | None,
        pk: str,
        extra: list[dict[str, Any]] | None = None,
    ) -> None:
        """Put `new` (or delete, for None) only if the item is still `old`, with the census
        counters moved from old's cells to new's in the same transaction (census.py)."""
        condition, names, values = _still(old)
        body: dict[str, Any] = {"ConditionExpression": condition}
        if names:
            body["ExpressionAttributeNames"] = names
        if values:
            body["ExpressionAttributeValues"] = values
        write = (
            {"Put": {"Item": new, **body}}
            if new is not None
            else {"Delete": {"Key": {"pk": pk}, **body}}
        )
        items = [write, *(extra or [])]
        update = counter_update(delta(old, new))
        if update is not None:
            items.append(update)
        transact(self._table, items, action)

    def put(self, subscriber: Subscriber) -> None:
        """Write a whole subscriber as it is (seeding and tests; changes go through replace)."""
        new = subscriber.to_item()
        for _ in range(_ATTEMPTS):
            try:
                self._write("writing a subscriber", self.raw(subscriber.key), new, new["pk"])
                return
            except ConflictError:
                continue
        raise ConflictError("writing a subscriber: it kept changing")

    def put_unless_confirmed(self, subscriber: Subscriber) -> None:
        """Write a pending record, unless someone confirmed this address meanwhile (then
        ConflictError)."""
        new = subscriber.to_item()
        for _ in range(_ATTEMPTS):
            old = self.raw(subscriber.key)
            if old is not None and old.get("status") == Status.CONFIRMED.value:
                raise ConflictError("writing a subscriber: confirmed meanwhile")
            try:
                self._write("writing a subscriber", old, new, new["pk"])
                return
            except ConflictError:
                continue
        raise ConflictError("writing a subscriber: it kept changing")

    def add_new(self, subscriber: Subscriber, extra: list[dict[str, Any]] | None = None) -> None:
        """Write a subscriber where none is stored and the address is not suppressed (an
        import's row); ConflictError if either no longer holds."""
        not_suppressed = {
            "ConditionCheck": {
                "Key": {"pk": f"suppression#{subscriber.key}"},
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }
        new = subscriber.to_item()
        self._write("adding a subscriber", None, new, new["pk"], [not_suppressed, *(extra or [])])

    def replace(self, old: Subscriber, new: Subscriber) -> None:
        """Write `new` only if the stored record is still exactly as `old` was read.

        `updated_at` works as a version: two concurrent changes cannot both win.
        """
        before = old.to_item()
        self._write("updating a subscriber", before, new.to_item(), before["pk"])

    def erase(self, key: str, now_iso: str, withdrawal: str = "by the subscriber") -> None:
        """Remove everything about a subscriber except the one-way key and the fact (and time)
        of erasure."""
        new = {
            "pk": f"sub#{key}",
            "status": Status.ERASED.value,
            "updated_at": now_iso,
            "withdrawn_at": now_iso,
            "withdrawal": withdrawal,
        }
        for _ in range(_ATTEMPTS):
            try:
                self._write("erasing a subscriber", self.raw(key), new, new["pk"])
                return
            except ConflictError:
                continue
        raise ConflictError("erasing a subscriber: it kept changing")

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

    def suppress(self, key: str, reason: str, now_iso: str, by: str = "") -> bool:
        """Never send to this address again (idempotent; the first reason is kept). True if
        this call added it."""
        item = {
            "pk": f"suppression#{key}",
            "reason": reason,
            "kind": suppression_kind(reason) if not by else "by hand",
            "at": now_iso,
        }
        if by:
            item["by"] = by
        try:
            self._write("suppressing an address", None, item, item["pk"])
        except ConflictError:
            return False
        return True

    def suppression(self, key: str) -> dict[str, Any] | None:
        """The suppression of an address as stored (reason, kind, at), if any."""
        with aws_errors("reading a suppression"):
            return self._table.get_item(Key={"pk": f"suppression#{key}"}, ConsistentRead=True).get(
                "Item"
            )

    def unsuppress(self, key: str) -> bool:
        """Let an address be mailed again; True if a suppression was removed."""
        for _ in range(_ATTEMPTS):
            old = self.suppression(key)
            if old is None:
                return False
            try:
                self._write("removing a suppression", old, None, old["pk"])
                return True
            except ConflictError:
                continue
        raise ConflictError("removing a suppression: it kept changing")

    def is_suppressed(self, key: str) -> bool:
        """True if the address must never be sent to."""
        with aws_errors("reading a suppression"):
            item = self._table.get_item(Key={"pk": f"suppression#{key}"}).get("Item")
        return item is not None

    def transient_bounces(self, key: str) -> list[int]:
        """The times of an address's recent transient bounces."""
        with aws_errors("reading bounces"):
            item = self._table.get_item(Key={"pk": f"bounces#{key}"}).get("Item") or {}
        return sorted(int(t) for t in item.get("at", []))

    def mark_asked(self, key: str, now_iso: str) -> None:
        """Note that an imported address's re-permission email went out (imports/runner.py)."""
        with aws_errors("recording a re-permission email"):
            self._table.update_item(
                Key={"pk": f"repermission#{key}"},
                UpdateExpression="SET #state = :sent, sent_at = :at",
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues={":sent": "sent", ":at": now_iso},
            )

    # --- census -------------------------------------------------------------------------------

    def census(self) -> Counter[str]:
        """Every census cell's total, from the counters (a handful of reads, never a scan)."""
        return counted(self._table)

    def census_by_scan(self) -> Counter[str]:
        """The same cells counted by scanning the whole table: the check of the counters."""
        return scanned(self._table)

    def rebuild_census(self) -> Counter[str]:
        """Set the counters to a scan's totals (once, after deploying the counters onto a table
        that has subscribers; writes during the scan may be missed, so run it while quiet)."""
        totals = self.census_by_scan()
        with aws_errors("rebuilding the census"):
            for shard in range(SHARDS):
                self._table.delete_item(Key={"pk": f"{CENSUS_PREFIX}{shard}"})
            self._table.put_item(Item={"pk": f"{CENSUS_PREFIX}0", **totals})
        return totals

    # --- statements ---------------------------------------------------------------------------

    def save_statement(self, statement: Statement) -> str:
        """Store words people are shown, once per version and text; returns its id."""
        try:
            with aws_errors("storing a statement"):
                self._table.put_item(
                    Item={
                        "pk": f"statement#{statement.id}",
                        "version": statement.version,
                        "statement": statement.statement,
                        "form_text": statement.form_text,
                    },
                    ConditionExpression=Attr("pk").not_exists(),
                )
        except ConflictError:
            pass  # stored before: the id is a digest of the words, so they are the same
        return statement.id

    def statement(self, statement_id: str) -> Statement | None:
        """Stored words by id."""
        if not statement_id:
            return None
        with aws_errors("reading a statement"):
            item = self._table.get_item(Key={"pk": f"statement#{statement_id}"}).get("Item")
        if not item:
            return None
        return Statement(item["version"], item["statement"], item.get("form_text", ""))

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


def _still(old: dict[str, Any] | None) -> tuple[str, dict[str, str], dict[str, Any]]:
    """A condition that the stored item is still `old` (None: that there is none)."""
    if old is None:
        return "attribute_not_exists(pk)", {}, {}
    parts, names, values = [], {}, {}
    # Every change of a subscriber moves updated_at, of a suppression its time: a version each.
    for name in ("status", "updated_at", "at"):
        if name in old:
            parts.append(f"#{name} = :{name}")
            names[f"#{name}"] = name
            values[f":{name}"] = old[name]
        elif name == "updated_at" and "status" in old:
            parts.append("attribute_not_exists(updated_at)")
    return " AND ".join(parts) or "attribute_exists(pk)", names, values
