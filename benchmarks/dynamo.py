"""DynamoDB as the benchmarks see it: moto's items and conditions, plus what moto leaves out and
DynamoDB enforces, hooked into the real boto3 client (botocore events, nothing patched).

From the DynamoDB developer guide ("Read/write capacity mode", "Item sizes", "Partitions and
data distribution", "Transactions"):
- Request units: a write is 1 WCU per 1 KB of the item (the larger of before and after), a read
  1 RCU per 4 KB, strongly consistent (half that eventually consistent); a Query adds up the
  sizes of the items it reads before rounding; a missing item still costs one unit; a write whose
  condition fails still costs its units; transactions cost double.
- A partition key value takes at most 1,000 WCU and 3,000 RCU a second, whatever the table's
  mode. Above that DynamoDB refuses with ProvisionedThroughputExceededException; the SDK retries
  it (standard mode: up to 5 attempts in all, exponential backoff with jitter, as the mailer's
  clients are configured), and only after the last does the code see it.
- A write to an item that a transaction is writing is refused with TransactionConflict
  (TransactionCanceledException in a transaction, TransactionConflictException alone).
Every call also takes a few milliseconds of simulated time.
"""

from __future__ import annotations

import json
import math
import random
import re
import threading
from collections import Counter, defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

from moto.dynamodb.models import dynamodb_backends

from .simtime import SimTime

WCU_LIMIT, RCU_LIMIT = 1000.0, 3000.0  # per partition key value, per second
SDK_ATTEMPTS = 5  # the clients' standard retry mode (mailer/aws/clients.py)
SDK_MAX_BACKOFF = 20.0
ACCOUNT, REGION = "123456789012", "eu-west-2"
WRITES = ("PutItem", "UpdateItem", "DeleteItem")
_KEY_TERM = re.compile(r"(#?\w+)\s*=\s*(:\w+)")


def item_size(item: dict[str, Any]) -> int:
    """An item's size as DynamoDB counts it, from its wire form (names plus values)."""
    return sum(len(name.encode()) + _value_size(value) for name, value in item.items())


def _value_size(value: dict[str, Any]) -> int:
    (kind, v), *_ = value.items()
    if kind == "S":
        return len(v.encode())
    if kind == "N":
        return (len(v.strip("-").replace(".", "").lstrip("0")) + 1) // 2 + 1
    if kind == "B":
        return len(v) * 3 // 4
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "L":
        return 3 + sum(1 + _value_size(e) for e in v)
    if kind == "M":
        return 3 + sum(len(k.encode()) + 1 + _value_size(e) for k, e in v.items())
    return sum(len(str(e).encode()) for e in v)  # SS, NS, BS


@dataclass
class _Window:
    """Units a partition consumed in the last second."""

    entries: deque[tuple[float, float]] = field(default_factory=deque)
    total: float = 0.0

    def used(self, now: float) -> float:
        while self.entries and self.entries[0][0] <= now - 1.0:
            self.total -= self.entries.popleft()[1]
        return self.total

    def add(self, now: float, units: float) -> None:
        self.entries.append((now, units))
        self.total += units


@dataclass
class _Http:
    status_code: int = 400
    headers: dict[str, str] = field(default_factory=dict)


class FakeDynamo:
    """botocore hooks on one DynamoDB client: latency, request units by DynamoDB's rules,
    per-partition limits with the SDK's retries, transaction conflicts; counts of each."""

    def __init__(
        self, sim: SimTime, client: Any, seed: int = 7, attempts: int = SDK_ATTEMPTS
    ) -> None:
        """`attempts`: the client's retry configuration (tries in all, for throttling)."""
        self._sim = sim
        self._attempts = attempts
        self._backend = dynamodb_backends[ACCOUNT][REGION]
        self._held: Counter[str] = Counter()
        self._windows: dict[tuple[str, str], _Window] = defaultdict(_Window)
        self._random = random.Random(seed)  # noqa: S311 (backoff jitter, not security)
        self._local = threading.local()
        self.calls: Counter[str] = Counter()
        self.read_units = self.write_units = 0.0
        self.conflicts = 0
        self.throttled_tries = 0  # refusals the SDK retried
        self.throttled = 0  # refusals the code saw, after the SDK's last attempt
        self.peak: dict[str, float] = {"read": 0.0, "write": 0.0}  # one partition's busiest second
        self.peak_partition: dict[str, str] = {"read": "", "write": ""}
        events = client.meta.events
        # First, so they see the wire form before boto3's resource layer converts it.
        events.register_first("before-call.dynamodb.*", self._before)
        events.register_first("after-call.dynamodb.*", self._after)
        events.register_first("before-send.dynamodb.*", lambda **_: sim.pause_charge())
        events.register_first("before-parse.dynamodb.*", lambda **_: sim.resume_charge())

    # --- keys and partitions -------------------------------------------------------------

    def _schema(self, table: str) -> tuple[str, str | None]:
        t = self._backend.get_table(table)
        return t.hash_key_attr, t.range_key_attr

    def _key(self, table: str, item: dict[str, Any]) -> dict[str, Any]:
        hash_key, range_key = self._schema(table)
        return {k: item[k] for k in (hash_key, range_key) if k and k in item}

    def _partition(self, table: str, key: dict[str, Any], index: str = "") -> tuple[str, str]:
        hash_key = self._schema(table)[0]
        return f"{table}/{index}", json.dumps(key.get(hash_key), sort_keys=True)

    def _stored_size(self, table: str, key: dict[str, Any]) -> int:
        try:
            item = self._backend.get_item(table, key)
        except Exception:  # a key moto cannot look up: the call itself will say why
            return 0
        return item.size() if item is not None else 0

    def _query_partition(self, request: dict[str, Any]) -> tuple[str, str]:
        """The partition a Query reads: its key condition's equality on the hash key."""
        table, index = request["TableName"], request.get("IndexName", "")
        hash_key = self._schema(table)[0]
        if index:
            t = self._backend.get_table(table)
            for gsi in t.global_indexes:
                if gsi.name == index:
                    hash_key = next(
                        k["AttributeName"] for k in gsi.schema if k["KeyType"] == "HASH"
                    )
        names = request.get("ExpressionAttributeNames", {})
        values = request.get("ExpressionAttributeValues", {})
        for name, placeholder in _KEY_TERM.findall(request.get("KeyConditionExpression", "")):
            if names.get(name, name) == hash_key:
                return f"{table}/{index}", json.dumps(values.get(placeholder), sort_keys=True)
        return f"{table}/{index}", "?"

    # --- what a call touches -------------------------------------------------------------

    def _writes(self, operation: str, request: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
        """(table, key) of every item the call writes."""
        if operation == "TransactWriteItems":
            found = []
            for entry in request.get("TransactItems", []):
                kind, body = next(iter(entry.items()))
                if kind == "ConditionCheck":
                    continue
                found.append(
                    (
                        body["TableName"],
                        body.get("Key") or self._key(body["TableName"], body["Item"]),
                    )
                )
            return found
        if operation == "BatchWriteItem":
            return [
                (
                    table,
                    self._key(
                        table,
                        (w.get("PutRequest") or w["DeleteRequest"]).get("Item")
                        or w["DeleteRequest"]["Key"],
                    ),
                )
                for table, writes in request.get("RequestItems", {}).items()
                for w in writes
            ]
        table = request["TableName"]
        return [(table, request.get("Key") or self._key(table, request.get("Item", {})))]

    def _partitions(
        self, operation: str, request: dict[str, Any]
    ) -> list[tuple[str, tuple[str, str]]]:
        """("read" | "write", partition) for every partition the call uses."""
        if operation in WRITES or operation in ("TransactWriteItems", "BatchWriteItem"):
            return [("write", self._partition(t, k)) for t, k in self._writes(operation, request)]
        if operation == "Query":
            return [("read", self._query_partition(request))]
        if operation == "GetItem":
            return [("read", self._partition(request["TableName"], request["Key"]))]
        if operation == "BatchGetItem":
            return [
                ("read", self._partition(t, k))
                for t, spec in request.get("RequestItems", {}).items()
                for k in spec.get("Keys", [])
            ]
        return []

    # --- the hooks -----------------------------------------------------------------------

    def _before(self, model: Any, params: dict[str, Any], context: dict[str, Any], **_: Any) -> Any:
        with self._sim.uncharged():
            operation = model.name
            request = json.loads(params.get("body") or b"{}")
            self.calls[operation] += 1
            context["bench"] = state = {"request": request, "refused": False}
            writes = (
                self._writes(operation, request)
                if operation in WRITES or operation == "TransactWriteItems"
                else []
            )
            held = [json.dumps([t, k], sort_keys=True) for t, k in writes]
            if any(self._held[h] for h in held):
                self.conflicts += 1
                self._sim.sleep(0.005)
                state["refused"] = True
                return self._conflict(operation, len(writes))
            state["before"] = (
                [self._stored_size(t, k) for t, k in writes] if operation != "PutItem" else []
            )
            if not self._admit(operation, request):
                state["refused"] = True
                return self._throttled(operation)
            if operation == "TransactWriteItems":
                for h in held:
                    self._held[h] += 1
                self._sim.sleep(0.015)  # a transaction holds its items while it commits
                for h in held:
                    self._held[h] -= 1
                return None
            self._sim.sleep(0.005)
            return None

    def _admit(self, operation: str, request: dict[str, Any]) -> bool:
        """Whether every partition the call uses has room, retried as the SDK retries."""
        partitions = self._partitions(operation, request)
        for attempt in range(self._attempts):
            now = self._sim()
            if all(
                self._windows[p].used(now) < (WCU_LIMIT if kind == "write" else RCU_LIMIT)
                for kind, p in partitions
            ):
                return True
            if attempt == self._attempts - 1:
                break
            self.throttled_tries += 1
            self._sim.sleep(0.005 + self._random.random() * min(SDK_MAX_BACKOFF, 2.0**attempt))
        self.throttled += 1
        return False

    def _after(self, model: Any, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        with self._sim.uncharged():
            state = context.get("bench")
            if state is None or state["refused"]:
                return
            operation, request = model.name, state["request"]
            now = self._sim()
            for kind, partition, units in self._units(operation, request, parsed, state):
                window = self._windows[partition]
                window.add(now, units)
                if kind == "read":
                    self.read_units += units
                else:
                    self.write_units += units
                used = window.used(now)
                if used > self.peak[kind]:
                    self.peak[kind], self.peak_partition[kind] = used, partition[1]

    def _units(
        self, operation: str, request: dict[str, Any], parsed: dict[str, Any], state: dict[str, Any]
    ) -> list[tuple[str, tuple[str, str], float]]:
        """Request units the call consumed, per partition, by DynamoDB's rules."""
        consistent = 1.0 if request.get("ConsistentRead") else 0.5
        if (
            operation in WRITES
            or operation == "TransactWriteItems"
            or operation == "BatchWriteItem"
        ):
            writes = self._writes(operation, request)
            before = state.get("before") or [0] * len(writes)
            factor = 2.0 if operation == "TransactWriteItems" else 1.0
            found = []
            for (table, key), old in zip(writes, before, strict=False):
                new = self._stored_size(table, key)
                if operation == "PutItem":
                    new = max(new, item_size(request.get("Item", {})))
                units = factor * max(1, math.ceil(max(old, new) / 1024))
                found.append(("write", self._partition(table, key), units))
            return found
        if operation == "GetItem":
            size = item_size(parsed.get("Item") or {})
            if "ProjectionExpression" in request:
                size = self._stored_size(request["TableName"], request["Key"])
            partition = self._partition(request["TableName"], request["Key"])
            return [("read", partition, consistent * max(1, math.ceil(size / 4096)))]
        if operation == "Query":
            table = request["TableName"]
            if request.get("IndexName"):
                size = sum(item_size(i) for i in parsed.get("Items", []))
            else:
                size = sum(
                    self._stored_size(table, self._key(table, {**self._hash_of(request), **i}))
                    for i in parsed.get("Items", [])
                )
            return [
                (
                    "read",
                    self._query_partition(request),
                    consistent * max(1, math.ceil(size / 4096)),
                )
            ]
        if operation == "BatchGetItem":
            found = []
            for table, items in parsed.get("Responses", {}).items():
                for item in items:
                    key = self._key(table, item)
                    found.append(
                        (
                            "read",
                            self._partition(table, key),
                            max(1, math.ceil(item_size(item) / 4096)) * 0.5,
                        )
                    )
            return found
        return []

    def _hash_of(self, request: dict[str, Any]) -> dict[str, Any]:
        """The hash key attribute a Query named, for items whose projection left it out."""
        hash_key = self._schema(request["TableName"])[0]
        names = request.get("ExpressionAttributeNames", {})
        values = request.get("ExpressionAttributeValues", {})
        for name, placeholder in _KEY_TERM.findall(request.get("KeyConditionExpression", "")):
            if names.get(name, name) == hash_key:
                return {hash_key: values[placeholder]}
        return {}

    # --- refusals, as DynamoDB writes them -----------------------------------------------

    @staticmethod
    def _conflict(operation: str, items: int) -> tuple[_Http, dict[str, Any]]:
        if operation == "TransactWriteItems":
            return _Http(400), {
                "Error": {"Code": "TransactionCanceledException", "Message": "conflict"},
                "CancellationReasons": [{"Code": "TransactionConflict"} for _ in range(items)],
            }
        return _Http(400), {
            "Error": {"Code": "TransactionConflictException", "Message": "conflict"}
        }

    @staticmethod
    def _throttled(operation: str) -> tuple[_Http, dict[str, Any]]:
        message = "Throughput exceeds the current capacity for one or more partitions."
        if operation == "TransactWriteItems":
            return _Http(400), {
                "Error": {"Code": "TransactionCanceledException", "Message": message},
                "CancellationReasons": [{"Code": "ThrottlingError"}],
            }
        return _Http(400), {
            "Error": {"Code": "ProvisionedThroughputExceededException", "Message": message}
        }
