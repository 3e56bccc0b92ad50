"""DynamoDB transactions with the mailer's domain errors, retried when another writer collides."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from mailer.errors import ConflictError, StoreError

from .clients import aws_errors

# A transaction that touches an item another transaction is writing at that moment is cancelled
# with "TransactionConflict". The campaign record is such a hot item (every send adds to its
# counts), so a few quick retries are normal, not an error.
_CONFLICT_ATTEMPTS = 5


def transact(
    table: Any,
    items: Sequence[dict[str, Any]],
    action: str,
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Write items all-or-nothing; ConflictError if a condition failed, StoreError otherwise.

    Each item is {"Put" | "Update" | "Delete" | "ConditionCheck": {...}} without TableName; the
    table's own (resource) client serialises Python values, so items use plain types.
    """
    client = table.meta.client
    request = [
        {kind: {"TableName": table.name, **body} for kind, body in item.items()} for item in items
    ]
    for attempt in range(_CONFLICT_ATTEMPTS):
        try:
            client.transact_write_items(TransactItems=request)
            return
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                with aws_errors(action):
                    raise
            codes = {str(r.get("Code")) for r in exc.response.get("CancellationReasons", [])}
            if "ConditionalCheckFailed" in codes:
                raise ConflictError(f"{action}: a condition no longer holds") from exc
            if "TransactionConflict" not in codes or attempt == _CONFLICT_ATTEMPTS - 1:
                raise StoreError(f"{action} failed: {', '.join(sorted(codes))}") from exc
        except BotoCoreError:
            with aws_errors(action):
                raise
        sleep(random.uniform(0, 0.05 * 2**attempt))  # noqa: S311 (jitter, not security)
    raise StoreError(f"{action} failed: too many transaction conflicts")  # pragma: no cover
