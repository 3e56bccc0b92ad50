"""DynamoDB writes retried while another writer holds their item, and transactions with the
mailer's domain errors."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from botocore.exceptions import ClientError

from mailer.aws.retry import Backoff
from mailer.aws.translate import aws_errors
from mailer.errors import ConflictError, StoreError, TransactionConflictError

T = TypeVar("T")

# DynamoDB rejects any write to an item that a transaction is writing at that moment, with
# "TransactionConflict" (in a transaction) or TransactionConflictException (a single write).
# The conflict lasts as long as the other transaction, a few milliseconds: a few quick retries
# are normal, not an error. moto never raises it; tests inject it (tests/support/conflicts.py).
CONFLICT_BACKOFF = Backoff(attempts=8, base=0.02, cap=1.0)


def retry_conflicts(write: Callable[[], T], *, backoff: Backoff = CONFLICT_BACKOFF) -> T:
    """Run one write (wrapped in aws_errors), retrying while a transaction holds its item."""
    return backoff.call(write, retry_on=(TransactionConflictError,))


def transact(
    table: Any,
    items: Sequence[dict[str, Any]],
    action: str,
    *,
    backoff: Backoff = CONFLICT_BACKOFF,
) -> None:
    """Write items all-or-nothing; ConflictError if a condition failed, StoreError otherwise
    (TransactionConflictError once the retries for conflicts run out).

    Each item is {"Put" | "Update" | "Delete" | "ConditionCheck": {...}} without TableName; the
    table's own (resource) client serialises Python values, so items use plain types.
    """
    client = table.meta.client
    request = [
        {kind: {"TableName": table.name, **body} for kind, body in item.items()} for item in items
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
                    raise TransactionConflictError(f"{action}: another writer collided") from exc
                raise StoreError(f"{action} failed: {', '.join(sorted(codes))}") from exc

    retry_conflicts(write, backoff=backoff)
