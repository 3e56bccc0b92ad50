"""Single-use subscribe form tokens: each token's nonce is spent once, remembered until it
could no longer be used anyway (DynamoDB TTL)."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable

from boto3.dynamodb.conditions import Attr

from mailer.aws.table import Table
from mailer.errors import ConflictError

# How long a rendered subscribe form (its token and its proof-of-work challenge) stays usable.
FORM_LIFETIME = 2 * 3600


def new_nonce() -> str:
    """A random nonce for one rendering of the subscribe form."""
    return secrets.token_urlsafe(16)


class FormNonces:
    """Remembers spent nonces in the subscribers table, so one token sends one form."""

    def __init__(self, table: Table, clock: Callable[[], float] = time.time) -> None:
        self._table = table
        self._clock = clock

    def spend(self, nonce: str, lifetime: int) -> bool:
        """Spend a nonce; False if it was spent before (a replayed form token)."""
        if not nonce:
            return False
        try:
            self._table.put(
                {"pk": f"formnonce#{nonce}", "expires_at": int(self._clock()) + lifetime + 3600},
                action="spending a form token",
                condition=Attr("pk").not_exists(),
            )
        except ConflictError:
            return False
        return True
