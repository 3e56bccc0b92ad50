"""DynamoDB's transaction conflicts, which moto never raises, injected through botocore's events.

On AWS a write to an item that a transaction is writing at that moment is rejected: a single
write with TransactionConflictException, a transaction with TransactionCanceledException whose
reasons say "TransactionConflict". The injector answers a table's writes that way, before moto
sees them, as if another sender's transaction held the item each time it is first written.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from threading import Lock
from typing import Any

WRITES = ("PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems")


@dataclass
class _Http:
    status_code: int = 400
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class ConflictInjector:
    """Rejects the first `times` attempts of every distinct write to `table_name` (only those
    `when(operation, request)` picks, if given)."""

    table_name: str
    times: int = 1
    when: Callable[[str, dict[str, Any]], bool] | None = None
    rejected: int = 0
    by_operation: dict[str, int] = field(default_factory=dict)
    _attempts: dict[str, int] = field(default_factory=dict)
    _lock: Lock = field(default_factory=Lock)

    def before_call(self, model: Any, params: dict[str, Any], **_: Any) -> Any:
        """botocore's before-call hook: a response here replaces the call to moto."""
        body = params.get("body")
        request = json.loads(body) if isinstance(body, (bytes, str)) and body else {}
        operation = model.name
        tables = (
            {
                t["Update" if "Update" in t else next(iter(t))]["TableName"]
                for t in request.get("TransactItems", [])
            }
            if operation == "TransactWriteItems"
            else {request.get("TableName")}
        )
        if self.table_name not in tables:
            return None
        if self.when is not None and not self.when(operation, request):
            return None
        fingerprint = operation + json.dumps(
            request.get("Key") or request.get("Item") or request.get("TransactItems"),
            sort_keys=True,
        )
        with self._lock:
            seen = self._attempts.get(fingerprint, 0)
            self._attempts[fingerprint] = seen + 1
            if seen >= self.times:
                return None
            self.rejected += 1
            self.by_operation[operation] = self.by_operation.get(operation, 0) + 1
        if operation == "TransactWriteItems":
            reasons = [{"Code": "TransactionConflict"} for _ in request["TransactItems"]]
            error = {
                "Error": {"Code": "TransactionCanceledException", "Message": "conflict"},
                "CancellationReasons": reasons,
            }
        else:
            error = {
                "Error": {
                    "Code": "TransactionConflictException",
                    "Message": "Transaction is ongoing for the item",
                }
            }
        return _Http(), error


@contextmanager
def conflicts_on(
    dynamodb: Any,
    table_name: str,
    times: int = 1,
    when: Callable[[str, dict[str, Any]], bool] | None = None,
) -> Iterator[ConflictInjector]:
    """Inject conflicts into writes to `table_name` made through this DynamoDB resource."""
    injector = ConflictInjector(table_name, times, when)
    events = dynamodb.meta.client.meta.events
    for operation in WRITES:
        events.register(f"before-call.dynamodb.{operation}", injector.before_call)
    try:
        yield injector
    finally:
        for operation in WRITES:
            events.unregister(f"before-call.dynamodb.{operation}", injector.before_call)
