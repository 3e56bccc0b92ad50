"""Signed, purpose-bound, expiring tokens for the links in emails (itsdangerous)."""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import StrEnum

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from mailer.errors import MailerError


class Purpose(StrEnum):
    """What a token may be used for; a token for one purpose is useless for any other."""

    CONFIRM = "confirm"
    MANAGE = "manage"
    UNSUBSCRIBE = "unsubscribe"


# How long each kind of link works, in seconds. Unsubscribe links must keep working for as long
# as an old email might be opened; manage links too, since every email carries one.
MAX_AGE = {
    Purpose.CONFIRM: 7 * 24 * 3600,
    Purpose.MANAGE: 400 * 24 * 3600,
    Purpose.UNSUBSCRIBE: 400 * 24 * 3600,
}


class TokenError(MailerError):
    """A token that is tampered with, expired, or meant for another purpose."""


class TokenExpiredError(TokenError):
    """A genuine token that is too old."""


def _signer_reading(clock: Callable[[], float]) -> type[TimestampSigner]:
    """itsdangerous's timestamp signer, telling the time by `clock` (to sign and to expire)."""

    class ClockedSigner(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(clock())

    return ClockedSigner


class Tokens:
    """Makes and checks tokens; the payload is a subscriber's random link id, never the address
    or the key."""

    def __init__(self, secret_key: str, clock: Callable[[], float] = time.time) -> None:
        self._serializers = {
            purpose: URLSafeTimedSerializer(
                secret_key, salt=f"awareness-mailer/{purpose}", signer=_signer_reading(clock)
            )
            for purpose in Purpose
        }

    def make(self, purpose: Purpose, link_id: str) -> str:
        """A URL-safe token binding a link id to one purpose."""
        return self._serializers[purpose].dumps(link_id)

    def read(self, purpose: Purpose, token: str) -> str:
        """The link id in a valid token for this purpose; TokenError otherwise."""
        if not token or len(token) > 512:
            raise TokenError("this link is not valid")
        try:
            value = self._serializers[purpose].loads(token, max_age=MAX_AGE[purpose])
        except SignatureExpired:
            raise TokenExpiredError("this link has expired") from None
        except BadSignature:
            raise TokenError("this link is not valid") from None
        if not isinstance(value, str):
            raise TokenError("this link is not valid")
        return value
