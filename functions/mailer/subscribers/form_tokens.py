"""Single-use subscribe form tokens: each token's nonce is spent once, remembered until it
could no longer be used anyway (DynamoDB TTL)."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import Any

from boto3.dynamodb.conditions import Attr

from mailer.aws.translate import aws_errors
from mailer.errors import ConflictError

# How long a rendered subscribe form (its token and its proof-of-work challenge) stays usable.
FORM_LIFETIME = 2 * 3600


def new_nonce() -> str:
    """A random nonce for one rendering of the subscribe form."""
    return secrets.token_urlsafe(16)


class FormNonces:
    """Remembers spent nonces in the subscribers table, so one token sends one form."""

    def __init__(self, table: Any, clock: Callable[[], float] = time.time) -> None:
        self._table = table
        self._clock = clock

    def spend(self, nonce: str, lifetime: int) -> bool:
        """Spend a nonce; False if it was spent before (a replayed form token)."""
        if not nonce:
            return False
        try:
            with aws_errors("spending a form token"):
                self._table.put_item(
                    Item={
                        "pk": f"formnonce#{nonce}",
                        "expires_at": int(self._clock()) + lifetime + 3600,
                    },
                    ConditionExpression=Attr("pk").not_exists(),
                )
        except ConflictError:
            return False
        return True
