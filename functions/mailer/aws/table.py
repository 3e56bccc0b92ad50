"""One DynamoDB table with the mailer's errors: reads, conditional writes, paged Query and
Scan, batches and transactions, each call named for its error message, and every write
retried while another writer's transaction holds its item."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from typing import Any, TypeVar

from botocore.exceptions import ClientError

from mailer.errors import ConflictError, OutOfTimeError, StoreError, TransactionConflictError

from .retry import Backoff
from .translate import aws_errors

T = TypeVar("T")
Item = dict[str, Any]

# DynamoDB rejects any write to an item that a transaction is writing at that moment, with
# "TransactionConflict" (in a transaction) or TransactionConflictException (a single write).
# The conflict lasts as long as the other transaction, a few milliseconds: a few quick retries
# are normal, not an error. moto never raises it; tests inject it (tests/support/conflicts.py).
CONFLICT_BACKOFF = Backoff(attempts=8, base=0.02, cap=1.0)
BATCH_GET_SIZE = 100  # BatchGetItem's limit of keys a request
BATCH_GET_ROUNDS = 8  # requests for keys DynamoDB keeps back before giving up


class Table:
    """A boto3 Table resource (or anything with its methods: benchmarks' fakes) whose calls
    raise ThrottlingError, ConflictError (a condition failed), TransactionConflictError or
    StoreError, never botocore's errors (translate.py's rules)."""

    def __init__(
        self,
        resource: Any,
        *,
        sleep: Callable[[float], None] = time.sleep,
        backoff: Backoff = CONFLICT_BACKOFF,
    ) -> None:
        """`sleep`: how conflict retries and batch re-reads wait (tests pass a fake clock's)."""
        self.resource = resource
        self._sleep = sleep
        self._backoff = replace(backoff, sleep=sleep)

    @property
    def name(self) -> str:
        """The table's name, as transactions and batches address it."""
        return str(self.resource.name)

    @property
    def meta(self) -> Any:
        """The resource's meta: its client (`meta.client`), whose botocore events tests hook."""
        return self.resource.meta

    # --- items ----------------------------------------------------------------------------

    def get(
        self,
        key: Mapping[str, Any],
        *,
        action: str,
        consistent: bool = False,
        projection: str | None = None,
        names: Mapping[str, str] | None = None,
    ) -> Item | None:
        """The item with this key (only the `projection` attributes, if given), or None."""
        request: dict[str, Any] = {"Key": dict(key), "ConsistentRead": consistent}
        if projection:
            request["ProjectionExpression"] = projection
        if names:
            request["ExpressionAttributeNames"] = dict(names)
        with aws_errors(action):
            return self.resource.get_item(**request).get("Item")

    def put(
        self,
        item: Mapping[str, Any],
        *,
        action: str,
        condition: Any = None,
        names: Mapping[str, str] | None = None,
        values: Mapping[str, Any] | None = None,
    ) -> None:
        """Write the whole item (ConflictError if `condition` fails)."""
        request = _expressions(condition, names, values)
        self._write(action, self.resource.put_item, Item=dict(item), **request)

    def update(
        self,
        key: Mapping[str, Any],
        *,
        action: str,
        expression: str,
        condition: Any = None,
        names: Mapping[str, str] | None = None,
        values: Mapping[str, Any] | None = None,
    ) -> None:
        """Apply an update expression to one item (ConflictError if `condition` fails)."""
        request = _expressions(condition, names, values)
        self._write(
            action,
            self.resource.update_item,
            Key=dict(key),
            UpdateExpression=expression,
            **request,
        )

    def delete(
        self,
        key: Mapping[str, Any],
        *,
        action: str,
        condition: Any = None,
        names: Mapping[str, str] | None = None,
        values: Mapping[str, Any] | None = None,
        returning_old: bool = False,
    ) -> Item:
        """Delete one item (ConflictError if `condition` fails); with `returning_old`, the
        attributes it had ({} if there was none)."""
        request = _expressions(condition, names, values)
        if returning_old:
            request["ReturnValues"] = "ALL_OLD"
        answer = self._write(action, self.resource.delete_item, Key=dict(key), **request)
        return dict(answer.get("Attributes") or {})

    def _write(self, action: str, call: Callable[..., Any], **request: Any) -> Any:
        """One write, retried while a transaction elsewhere holds the item."""

        def write() -> Any:
            with aws_errors(action):
                return call(**request)

        return self._retry_conflicts(write)

    # --- many items -----------------------------------------------------------------------

    def query(
        self,
        *,
        action: str,
        time_left: Callable[[], float] | None = None,
        margin: float = 0.0,
        **request: Any,
    ) -> Iterator[Item]:
        """Every item a Query finds, page by page (`request` as boto3's query takes it)."""
        return self._paged(self.resource.query, action, time_left, margin, request)

    def scan(
        self,
        *,
        action: str,
        time_left: Callable[[], float] | None = None,
        margin: float = 0.0,
        **request: Any,
    ) -> Iterator[Item]:
        """Every item a Scan finds, page by page (`request` as boto3's scan takes it)."""
        return self._paged(self.resource.scan, action, time_left, margin, request)

    def query_page(self, *, action: str, **request: Any) -> tuple[list[Item], Item | None]:
        """One page of a Query (up to its `Limit`): its items, and where the next page starts
        (None after the last), for callers that resume later from a checkpoint."""
        with aws_errors(action):
            page = self.resource.query(**request)
        return list(page["Items"]), page.get("LastEvaluatedKey")

    def _paged(
        self,
        call: Callable[..., Any],
        action: str,
        time_left: Callable[[], float] | None,
        margin: float,
        request: dict[str, Any],
    ) -> Iterator[Item]:
        """The one loop over LastEvaluatedKey; OutOfTimeError before a page once less than
        `margin` seconds are left, rather than be killed mid-page."""
        while True:
            if time_left is not None and time_left() < margin:
                raise OutOfTimeError(f"too little time left: {action}")
            with aws_errors(action):
                page = call(**request)
            yield from page["Items"]
            if "LastEvaluatedKey" not in page:
                return
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def batch_get(
        self, keys: Sequence[Mapping[str, Any]], *, action: str, consistent: bool = False
    ) -> list[Item]:
        """The items with these keys that exist (in no particular order), BATCH_GET_SIZE a
        request, asking again for any DynamoDB keeps back."""
        client = self.resource.meta.client  # the resource's client: plain Python values
        found: list[Item] = []
        for start in range(0, len(keys), BATCH_GET_SIZE):
            request = {
                self.name: {
                    "Keys": [dict(k) for k in keys[start : start + BATCH_GET_SIZE]],
                    "ConsistentRead": consistent,
                }
            }
            for attempt in range(BATCH_GET_ROUNDS):
                with aws_errors(action):
                    response = client.batch_get_item(RequestItems=request)
                found += response["Responses"].get(self.name, [])
                request = response.get("UnprocessedKeys") or {}
                if not request:
                    break
                self._sleep(min(1.0, 0.05 * 2**attempt))  # DynamoDB asked us to slow down
            else:
                raise StoreError(f"{action}: DynamoDB kept some keys back")
        return found

    @contextmanager
    def batch_write(self, *, action: str) -> Iterator[Any]:
        """boto3's batch writer (put_item and delete_item, 25 a request, unprocessed items
        sent again), its errors the mailer's."""
        with aws_errors(action), self.resource.batch_writer() as batch:
            yield batch

    def transact(self, items: Sequence[Mapping[str, Any]], *, action: str) -> None:
        """Write items all-or-nothing; ConflictError if a condition failed, StoreError otherwise
        (TransactionConflictError once the retries for conflicts run out).

        Each item is {"Put" | "Update" | "Delete" | "ConditionCheck": {...}} without TableName;
        the table's own (resource) client serialises Python values, so items use plain types.
        """
        client = self.resource.meta.client
        request = [
            {kind: {"TableName": self.name, **body} for kind, body in item.items()}
            for item in items
        ]

        def write() -> None:
            with aws_errors(action):
                try:
                    client.transact_write_items(TransactItems=request)
                except ClientError as exc:
                    if exc.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                        raise
                    reasons = exc.response.get("CancellationReasons", [])
                    codes = {str(r.get("Code")) for r in reasons}
                    if "ConditionalCheckFailed" in codes:
                        raise ConflictError(f"{action}: a condition no longer holds") from exc
                    if "TransactionConflict" in codes:
                        raise TransactionConflictError(
                            f"{action}: another writer collided"
                        ) from exc
                    raise StoreError(f"{action} failed: {', '.join(sorted(codes))}") from exc

        self._retry_conflicts(write)

    def _retry_conflicts(self, write: Callable[[], T]) -> T:
        return self._backoff.call(write, retry_on=(TransactionConflictError,))


def _expressions(
    condition: Any, names: Mapping[str, str] | None, values: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The request's condition (a string or boto3's Attr), names and values, those given."""
    request: dict[str, Any] = {}
    if condition is not None:
        request["ConditionExpression"] = condition
    if names:
        request["ExpressionAttributeNames"] = dict(names)
    if values:
        request["ExpressionAttributeValues"] = dict(values)
    return request
