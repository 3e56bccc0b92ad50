"""Proof of work on the subscribe form (ALTCHA): a bot pays for every attempt, a person's
browser solves it in about a second, and nothing leaves our own site.

A challenge is signed with a key derived from the signing key and expires with the form; a
solved challenge is spent once (its nonce is remembered like a form token's). Without script
there is no proof: the form still works, under tighter limits (see lifecycle.py).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from enum import StrEnum
from typing import Any

import altcha

from .form_tokens import FormNonces

ALGORITHM = "PBKDF2/SHA-256"
# PBKDF2 iterations per attempt; with the default one-byte key prefix a solver makes about 256
# attempts: roughly a second in a school laptop's browser, the same for every bot submission.
POW_COST = 5_000
# Near the hourly caps (lifecycle.CAP_PRESSURE) new challenges cost this many times more: about
# four seconds for a person, four times the price of every bot submission.
PRESSURE_FACTOR = 4


class Proof(StrEnum):
    """What a submission's proof of work showed."""

    SOLVED = "solved"
    ABSENT = "absent"  # no script: allowed, under tighter limits
    INVALID = "invalid"  # forged, expired or replayed: refused


class ProofOfWork:
    """Makes ALTCHA challenges and checks their solutions, each solution good once."""

    def __init__(
        self,
        secret_key: str,
        nonces: FormNonces,
        lifetime: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        # A key of its own, so a challenge signature is never a valid token of any other kind.
        self._hmac_secret = hmac.new(
            secret_key.encode("utf-8"), b"awareness-mailer/altcha", hashlib.sha256
        ).hexdigest()
        self._nonces = nonces
        self._lifetime = lifetime
        self._clock = clock

    def challenge(self, under_pressure: bool = False) -> dict[str, Any]:
        """A fresh signed challenge, as the widget reads it (dearer near the hourly caps)."""
        return altcha.create_challenge(
            ALGORITHM,
            POW_COST * (PRESSURE_FACTOR if under_pressure else 1),
            expires_at=int(self._clock()) + self._lifetime,
            hmac_secret=self._hmac_secret,
        ).to_dict()

    def check(self, payload: str) -> Proof:
        """Verify a solution from the widget and spend it."""
        if not payload:
            return Proof.ABSENT
        if len(payload) > 4096:
            return Proof.INVALID
        result = altcha.verify_solution(payload, self._hmac_secret)
        if not result.verified:
            return Proof.INVALID
        nonce = altcha.Payload.from_base64(payload).challenge.parameters.nonce
        if not self._nonces.spend(f"pow-{nonce}", self._lifetime):
            return Proof.INVALID
        return Proof.SOLVED
