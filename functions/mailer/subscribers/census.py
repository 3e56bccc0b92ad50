"""The census: how many subscribers each group has in each status, kept as counters that every
subscriber write updates in the same transaction, so the dashboard never scans the table.

Each stored item counts in a few *cells* (named counters): a confirmed subscriber in
"confirmed#<group>" and "joined#<group>#<YYYY-MM>" (the month they confirmed, for the chart),
an unsubscribed one in "unsubscribed#<group>", an erased one in "erased", a suppression in
"suppressed#<kind>". A pending record counts in "pending#<group>#<expiry day>": TTL deletes
expired pending records without telling anyone, so the census counts only the cells whose
day has not passed, and a record TTL removes leaves only a cell nobody reads any more.

A write changes the cells of the item it replaces into those of the new one: a transaction
puts the item (on the condition that it is still what was read) and adds the difference to one
of SHARDS counter items, picked at random, so no counter is a hot key (one DynamoDB partition
takes 1,000 writes a second; an import writes far more). Counters and a scan of the table give
the same cells exactly (`mailer census check`, and the tests after the fault tests).
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from mailer.aws.table import Table

SHARDS = 16
CENSUS_PREFIX = "census#"
LIVE_STATUSES = ("confirmed", "unsubscribed")


def suppression_kind(reason: str) -> str:
    """The reason a suppression is counted under (its text may say more)."""
    lowered = reason.lower()
    if lowered.startswith("complaint"):
        return "complaint"
    if lowered.startswith("permanent bounce"):
        return "permanent bounce"
    if "transient" in lowered:
        return "transient bounces"
    return "by hand"


def cells(item: Mapping[str, Any] | None) -> Counter[str]:
    """The counters one stored item counts in (none for items that are not people)."""
    if not item:
        return Counter()
    kind = str(item.get("pk", "")).split("#", 1)[0]
    if kind == "suppression":
        return Counter(
            {f"suppressed#{item.get('kind') or suppression_kind(item.get('reason', ''))}": 1}
        )
    if kind != "sub":
        return Counter()
    status, audience = item.get("status", ""), item.get("audience", "")
    if status == "erased":
        return Counter({"erased": 1})
    if not audience:
        return Counter()
    if status == "pending":
        expires = item.get("expires_at")
        day = (
            dt.datetime.fromtimestamp(int(expires), dt.UTC).date().isoformat()
            if expires is not None
            else "9999-12-31"
        )
        return Counter({f"pending#{audience}#{day}": 1})
    if status not in LIVE_STATUSES:
        return Counter()
    found = Counter({f"{status}#{audience}": 1})
    if status == "confirmed" and item.get("confirmed_at"):
        found[f"joined#{audience}#{str(item['confirmed_at'])[:7]}"] = 1
    return found


def delta(old: Mapping[str, Any] | None, new: Mapping[str, Any] | None) -> dict[str, int]:
    """What replacing `old` with `new` adds to each counter (zeroes left out)."""
    change = Counter(cells(new))
    change.subtract(cells(old))
    return {name: n for name, n in change.items() if n}


def counter_update(change: Mapping[str, int], shard: int | None = None) -> dict[str, Any] | None:
    """The transaction item that adds `change` to one counter shard (None: nothing to add)."""
    if not change:
        return None
    if shard is None:
        shard = random.randrange(SHARDS)  # noqa: S311 (spreads writes; nothing secret)
    names = {f"#c{i}": name for i, name in enumerate(change)}
    values = {f":v{i}": n for i, n in enumerate(change.values())}
    return {
        "Update": {
            "Key": {"pk": f"{CENSUS_PREFIX}{shard}"},
            "UpdateExpression": "ADD " + ", ".join(f"#c{i} :v{i}" for i in range(len(change))),
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }
    }


def counted(table: Table) -> Counter[str]:
    """Every cell's total, summed over the counter shards (16 reads)."""
    totals: Counter[str] = Counter()
    for shard in range(SHARDS):
        item = table.get({"pk": f"{CENSUS_PREFIX}{shard}"}, action="reading the census") or {}
        for name, value in item.items():
            if name != "pk":
                totals[name] += int(value)
    return +totals


def scanned(table: Table) -> Counter[str]:
    """Every cell's total from a scan of the whole table: the counters' check, not for pages."""
    totals: Counter[str] = Counter()
    for item in table.scan(action="scanning subscribers"):
        totals.update(cells(item))
    return +totals


def live(totals: Mapping[str, int], today: dt.date) -> Iterable[tuple[str, int]]:
    """The cells that still count today (pending records past their expiry day do not)."""
    for name, n in totals.items():
        if name.startswith("pending#") and name.rpartition("#")[2] < today.isoformat():
            continue
        yield name, n
