"""Subscriber keys as the test stack makes them: HMAC under the pepper from the test secret."""

from __future__ import annotations

from mailer.subscribers.identity import AddressKeys, pepper_from

from .environment import TEST_ENV

KEYS = AddressKeys(pepper_from(TEST_ENV["SECRET_KEY"]))


def subscriber_key(address: str, secret_key: str = TEST_ENV["SECRET_KEY"]) -> str:
    """The key the stack with this secret gives an address (the tests' secret by default)."""
    return AddressKeys(pepper_from(secret_key)).key(address)
