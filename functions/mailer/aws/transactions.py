"""DynamoDB transactions with the mailer's domain errors, retried when another writer collides."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from botocore.exceptions import ClientError

from mailer.aws.retry import Backoff
from mailer.aws.translate import aws_errors
from mailer.errors import ConflictError, StoreError, TransactionConflictError

# A transaction that touches an item another transaction is writing at that moment is cancelled
# with "TransactionConflict". The campaign record is such a hot item (every send adds to its
# counts), so a few quick retries are normal, not an error.
CONFLICT_BACKOFF = Backoff(attempts=5, base=0.05)


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

    backoff.call(write, retry_on=(TransactionConflictError,))
