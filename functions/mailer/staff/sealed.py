"""Secrets kept on the server that only the browser holding the matching cookie can open.

A staff session's refresh token and a sign-in's pending challenge (Cognito's session and the
TOTP seed) live in the staff table, but encrypted under a key derived from the cookie's random
id, which the table stores only as a SHA-256 hash. A copy of the table, a backup, or a role that
can read it opens nothing: no key for these exists anywhere but in the browser's cookie.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


def storage_key(secret_id: str) -> str:
    """What the table keys an item by: a one-way hash of the cookie's id, never the id."""
    return hashlib.sha256(secret_id.encode()).hexdigest()


def _fernet(secret_id: str, label: str) -> Fernet:
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=f"staff/{label}".encode()
    ).derive(secret_id.encode())
    return Fernet(base64.urlsafe_b64encode(derived))


def seal(secret_id: str, label: str, value: str) -> str:
    """`value` encrypted (Fernet: AES with an HMAC) under a key only `secret_id` gives."""
    return _fernet(secret_id, label).encrypt(value.encode()).decode()


def unseal(secret_id: str, label: str, sealed: str) -> str | None:
    """The value `seal` sealed, or None if the id or the label does not open it."""
    try:
        return _fernet(secret_id, label).decrypt(sealed.encode()).decode()
    except (InvalidToken, ValueError):
        return None
