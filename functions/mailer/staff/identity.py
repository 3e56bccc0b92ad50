"""Who a signed-in staff member is, read only from an ID token whose signature, issuer,
audience, use and expiry were checked against the user pool's published keys (JWKS)."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from mailer.errors import MailerError

SENDERS_GROUP = "senders"  # may send to subscribers, and pause, resume or cancel a campaign
ADMINS_GROUP = "admins"  # may end any member's sessions
# May find a person, act on their record, see and change suppressions, import and export lists.
DATA_PROTECTION_GROUP = "data-protection"
# What the console calls a member of each group, in the order it names them. A group of the
# pool not listed here grants nothing in the console, so it is not shown as a role.
ROLES = {SENDERS_GROUP: "sender", ADMINS_GROUP: "admin", DATA_PROTECTION_GROUP: "data protection"}
# An unknown key id makes us fetch the pool's keys again (Cognito rotated them), but at most
# this often: a stream of forged tokens naming made-up keys must not become a stream of fetches.
JWKS_REFETCH_AFTER = 60


class InvalidTokenError(MailerError):
    """A token that is forged, expired, or not an ID token of our user pool and client."""


@dataclass(frozen=True)
class StaffMember:
    """A signed-in member of staff."""

    subject: str  # Cognito's stable user id (the token's sub)
    email: str
    groups: tuple[str, ...] = ()

    @property
    def roles(self) -> tuple[str, ...]:
        """Every console role the member's groups give, as the header names them."""
        return tuple(role for group, role in ROLES.items() if group in self.groups)

    @property
    def is_sender(self) -> bool:
        """True for members of the senders group."""
        return SENDERS_GROUP in self.groups

    @property
    def is_admin(self) -> bool:
        """True for members of the admins group."""
        return ADMINS_GROUP in self.groups

    @property
    def is_data_protection(self) -> bool:
        """True for members of the data-protection group."""
        return DATA_PROTECTION_GROUP in self.groups


class TokenVerifier:
    """Verifies Cognito ID tokens with the pool's JWKS (fetched once, and again, at most once a
    minute, when a token names a key id the set does not hold)."""

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
        self._fetched_at = float("-inf")

    def verify(self, id_token: str) -> StaffMember:
        """The staff member an ID token names; InvalidTokenError unless every check passes."""
        try:
            token = jwt.decode(id_token, self._key_set(_kid(id_token)), algorithms=["RS256"])
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
        # Members cannot change a verified address without verifying the new one (the pool
        # requires it), but a token saying "not verified" names an address nobody proved.
        if claims.get("email_verified") not in (True, "true"):
            raise InvalidTokenError("the token's email address is not verified")
        groups = claims.get("cognito:groups") or []
        return StaffMember(
            subject=str(claims.get("sub", "")),
            email=str(claims.get("email", "")),
            groups=tuple(str(g) for g in groups) if isinstance(groups, list) else (),
        )

    def _key_set(self, kid: str) -> KeySet:
        known = self._keys is not None and any(k.kid == kid for k in self._keys.keys)
        if not known and self._clock() - self._fetched_at >= JWKS_REFETCH_AFTER:
            self._keys = KeySet.import_key_set(dict(self._fetch_jwks()))
            self._fetched_at = self._clock()
        if self._keys is None:
            raise InvalidTokenError("the user pool's keys could not be read")
        return self._keys


def _kid(id_token: str) -> str:
    """The key id a token's header names ("" if it names none or is not a JWT)."""
    try:
        header = id_token.split(".", 1)[0]
        decoded = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))
    except (ValueError, UnicodeDecodeError):
        return ""
    return str(decoded.get("kid", "")) if isinstance(decoded, dict) else ""
