"""Translates boto3 and botocore errors into the mailer's domain errors, at the AWS boundary."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError

from mailer.errors import ConflictError, StoreError, ThrottlingError, TransactionConflictError

_THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "LimitExceededException",
    }
)


@contextmanager
def aws_errors(action: str) -> Iterator[None]:
    """Raise ThrottlingError, ConflictError, TransactionConflictError or StoreError (naming
    `action`) for AWS failures."""
    try:
        yield
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "Unknown")
        if code in _THROTTLING_CODES:
            raise ThrottlingError(f"{action}: AWS throttled the call ({code})") from exc
        if code == "TransactionConflictException":
            # A single-item write to an item a transaction holds: retryable (table.py).
            raise TransactionConflictError(f"{action}: another writer collided") from exc
        if code in ("ConditionalCheckFailedException", "AlreadyExistsException"):
            raise ConflictError(f"{action}: {code}") from exc
        raise StoreError(f"{action} failed: {code}") from exc
    except EndpointConnectionError as exc:
        raise StoreError(
            f"{action} failed: cannot reach {exc.kwargs.get('endpoint_url', 'AWS')} (on the local "
            "stack: is `make run` running, with the same PORT and MOTO_PORT as this shell?)"
        ) from exc
    except BotoCoreError as exc:
        raise StoreError(f"{action} failed: {exc}") from exc
