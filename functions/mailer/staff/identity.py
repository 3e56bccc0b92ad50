"""Who a signed-in staff member is, read only from an ID token whose signature, issuer,
audience, use and expiry were checked against the user pool's published keys (JWKS)."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from mailer.errors import MailerError

SENDERS_GROUP = "senders"  # may send to subscribers, and pause, resume or cancel a campaign
# May find a person, act on their record, see and change suppressions, import and export lists.
DATA_PROTECTION_GROUP = "data-protection"


class InvalidTokenError(MailerError):
    """A token that is forged, expired, or not an ID token of our user pool and client."""


@dataclass(frozen=True)
class StaffMember:
    """A signed-in member of staff."""

    subject: str  # Cognito's stable user id (the token's sub)
    email: str
    groups: tuple[str, ...] = ()

    @property
    def is_sender(self) -> bool:
        """True for members of the senders group."""
        return SENDERS_GROUP in self.groups

    @property
    def is_data_protection(self) -> bool:
        """True for members of the data-protection group."""
        return DATA_PROTECTION_GROUP in self.groups


class TokenVerifier:
    """Verifies Cognito ID tokens with the pool's JWKS (fetched once, then kept)."""

    def __init__(
        self,
        *,
        issuer: str,
        client_id: str,
        fetch_jwks: Callable[[], Mapping[str, Any]],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._issuer = issuer
        self._client_id = client_id
        self._fetch_jwks = fetch_jwks
        self._clock = clock
        self._keys: KeySet | None = None

    def verify(self, id_token: str) -> StaffMember:
        """The staff member an ID token names; InvalidTokenError unless every check passes."""
        try:
            token = jwt.decode(id_token, self._key_set(), algorithms=["RS256"])
        except (JoseError, ValueError) as exc:
            raise InvalidTokenError(f"the token's signature does not verify ({exc})") from None
        claims = token.claims
        if claims.get("iss") != self._issuer:
            raise InvalidTokenError("the token comes from another issuer")
        if claims.get("aud") != self._client_id:
            raise InvalidTokenError("the token is for another client")
        if claims.get("token_use") != "id":
            raise InvalidTokenError("not an ID token")
        if not isinstance(claims.get("exp"), int) or claims["exp"] <= self._clock():
            raise InvalidTokenError("the token has expired")
        groups = claims.get("cognito:groups") or []
        return StaffMember(
            subject=str(claims.get("sub", "")),
            email=str(claims.get("email", "")),
            groups=tuple(str(g) for g in groups) if isinstance(groups, list) else (),
        )

    def _key_set(self) -> KeySet:
        if self._keys is None:
            self._keys = KeySet.import_key_set(dict(self._fetch_jwks()))
        return self._keys
