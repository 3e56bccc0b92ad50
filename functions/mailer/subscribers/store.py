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

import contextlib
import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

from boto3.dynamodb.conditions import Attr

from mailer.aws.table import Table
from mailer.errors import ConflictError

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

    def __init__(self, table: Table, clock: Callable[[], float] = time.time) -> None:
        self._table = table
        self._clock = clock

    def get(self, key: str) -> Subscriber | None:
        """The subscriber with this key; an expired pending record counts as absent."""
        item = self.raw(key)
        if not item:
            return None
        subscriber = Subscriber.from_item(item)
        return None if subscriber.is_expired(self._clock()) else subscriber

    def items(self, pks: list[str]) -> dict[str, dict[str, Any]]:
        """Stored items by partition key, read 100 at a time (BatchGetItem), as stored."""
        keys = [{"pk": pk} for pk in dict.fromkeys(pks)]
        found = self._table.batch_get(keys, action="reading subscribers", consistent=True)
        return {item["pk"]: item for item in found}

    def by_link(self, link_id: str) -> Subscriber | None:
        """The subscriber whose links carry this id now (an old, rotated id finds nobody)."""
        if not link_id:
            return None
        items, _ = self._table.query_page(
            action="finding a subscriber by link",
            IndexName=LINK_INDEX,
            KeyConditionExpression="link_id = :id",
            ExpressionAttributeValues={":id": link_id},
            Limit=2,
        )
        if len(items) != 1:
            return None
        # The index is eventually consistent: read the record itself and check it still matches.
        subscriber = self.get(items[0]["pk"].removeprefix("sub#"))
        return subscriber if subscriber and subscriber.link_id == link_id else None

    def raw(self, key: str) -> dict[str, Any] | None:
        """The subscriber item exactly as stored (expired, erased and all)."""
        return self._table.get({"pk": f"sub#{key}"}, action="reading a subscriber", consistent=True)

    def _change(
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
        self._table.transact(items, action=action)

    def put(self, subscriber: Subscriber) -> None:
        """Write a whole subscriber as it is (seeding and tests; changes go through replace)."""
        new = subscriber.to_item()
        for _ in range(_ATTEMPTS):
            try:
                self._change("writing a subscriber", self.raw(subscriber.key), new, new["pk"])
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
                self._change("writing a subscriber", old, new, new["pk"])
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
        self._change("adding a subscriber", None, new, new["pk"], [not_suppressed, *(extra or [])])

    def replace(self, old: Subscriber, new: Subscriber) -> None:
        """Write `new` only if the stored record is still exactly as `old` was read.

        `updated_at` works as a version: two concurrent changes cannot both win.
        """
        before = old.to_item()
        self._change("updating a subscriber", before, new.to_item(), before["pk"])

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
                self._change("erasing a subscriber", self.raw(key), new, new["pk"])
                return
            except ConflictError:
                continue
        raise ConflictError("erasing a subscriber: it kept changing")

    def confirmed_page(
        self, audience: str, start: dict[str, Any] | None = None, limit: int = 100
    ) -> Page:
        """One page of confirmed subscribers in an audience, by Query on the sparse index."""
        resume = {"ExclusiveStartKey": start} if start else {}
        items, next_start = self._table.query_page(
            action="listing subscribers",
            IndexName=SEND_INDEX,
            KeyConditionExpression="send_group = :group",
            ExpressionAttributeValues={":group": audience},
            Limit=limit,
            **resume,
        )
        return Page([Subscriber.from_item(item) for item in items], next_start)

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
            self._table.put(
                {"pk": f"once#{name}", "at": now, "expires_at": now + seconds + 3600},
                action="claiming a once-per-window email",
                condition=Attr("pk").not_exists() | Attr("at").lte(now - seconds),
            )
        except ConflictError:
            return False
        return True

    def mark_seen(self, name: str) -> None:
        """Remember a name for good (a recipient domain a subscriber confirmed at)."""
        self._table.put({"pk": f"seen#{name}"}, action="remembering a seen domain")

    def seen(self, name: str) -> bool:
        """True if `mark_seen` remembered this name."""
        return self._table.get({"pk": f"seen#{name}"}, action="reading a seen domain") is not None

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
            self._change("suppressing an address", None, item, item["pk"])
        except ConflictError:
            return False
        return True

    def suppression(self, key: str) -> dict[str, Any] | None:
        """The suppression of an address as stored (reason, kind, at), if any."""
        return self._table.get(
            {"pk": f"suppression#{key}"}, action="reading a suppression", consistent=True
        )

    def unsuppress(self, key: str) -> bool:
        """Let an address be mailed again; True if a suppression was removed."""
        for _ in range(_ATTEMPTS):
            old = self.suppression(key)
            if old is None:
                return False
            try:
                self._change("removing a suppression", old, None, old["pk"])
                return True
            except ConflictError:
                continue
        raise ConflictError("removing a suppression: it kept changing")

    def is_suppressed(self, key: str) -> bool:
        """True if the address must never be sent to."""
        item = self._table.get({"pk": f"suppression#{key}"}, action="reading a suppression")
        return item is not None

    def transient_bounces(self, key: str) -> list[int]:
        """The times of an address's recent transient bounces."""
        item = self._table.get({"pk": f"bounces#{key}"}, action="reading bounces") or {}
        return sorted(int(t) for t in item.get("at", []))

    def mark_asked(self, key: str, now_iso: str) -> None:
        """Note that an imported address's re-permission email went out (imports/runner.py)."""
        self._table.update(
            {"pk": f"repermission#{key}"},
            action="recording a re-permission email",
            expression="SET #state = :sent, sent_at = :at",
            names={"#state": "state"},
            values={":sent": "sent", ":at": now_iso},
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
        for shard in range(SHARDS):
            self._table.delete({"pk": f"{CENSUS_PREFIX}{shard}"}, action="rebuilding the census")
        self._table.put({"pk": f"{CENSUS_PREFIX}0", **totals}, action="rebuilding the census")
        return totals

    # --- statements ---------------------------------------------------------------------------

    def save_statement(self, statement: Statement) -> str:
        """Store words people are shown, once per version and text; returns its id."""
        # Stored before (ConflictError): the id is a digest of the words, so they are the same.
        with contextlib.suppress(ConflictError):
            self._table.put(
                {
                    "pk": f"statement#{statement.id}",
                    "version": statement.version,
                    "statement": statement.statement,
                    "form_text": statement.form_text,
                },
                action="storing a statement",
                condition=Attr("pk").not_exists(),
            )
        return statement.id

    def statement(self, statement_id: str) -> Statement | None:
        """Stored words by id."""
        if not statement_id:
            return None
        item = self._table.get({"pk": f"statement#{statement_id}"}, action="reading a statement")
        if not item:
            return None
        return Statement(item["version"], item["statement"], item.get("form_text", ""))

    def record_transient_bounce(self, key: str, now: int, window: int = 30 * 24 * 3600) -> int:
        """Remember one transient bounce; return how many fell within the window.

        Two bounces for one address arriving at the same instant may count as one; a third
        bounce soon after still trips the limit, so the race costs at most one extra email.
        """
        item = self._table.get({"pk": f"bounces#{key}"}, action="recording a bounce") or {}
        recent = [int(t) for t in item.get("at", []) if int(t) > now - window]
        recent.append(now)
        self._table.put(
            {"pk": f"bounces#{key}", "at": recent, "expires_at": now + window},
            action="recording a bounce",
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
