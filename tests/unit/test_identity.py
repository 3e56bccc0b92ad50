"""Canonical addresses, client networks and keyed digests (issue 10, items 1 and 6)."""

from __future__ import annotations

import hashlib

import pytest

from mailer.subscribers.identity import AddressKeys, canonical_address, client_network


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("Name@Example.org", "name@example.org"),
        ("name+news@example.org", "name@example.org"),
        ("n.a.m.e+x@googlemail.com", "name@gmail.com"),
        ("N.Ame@GMAIL.com", "name@gmail.com"),
        ("first.last@school.example", "first.last@school.example"),  # dots matter elsewhere
        ("+only@example.org", "+only@example.org"),  # nothing left without the tag: keep it
    ],
)
def test_canonical_address(typed: str, canonical: str) -> None:
    assert canonical_address(typed) == canonical


@pytest.mark.parametrize(
    ("ip", "network"),
    [
        ("203.0.113.9", "203.0.113.9"),
        ("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64"),
        ("2001:db8:1:2::1", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.9", "203.0.113.9"),
        ("", ""),
    ],
)
def test_client_network(ip: str, network: str) -> None:
    assert client_network(ip) == network


def test_keys_are_peppered_hmacs_not_bare_hashes() -> None:
    """A key seen in a log cannot be checked against a guessed address without the pepper."""
    keys, other = AddressKeys(b"pepper-one"), AddressKeys(b"pepper-two")
    address = "someone@example.org"
    assert keys.key(address) != hashlib.sha256(address.encode()).hexdigest()
    assert keys.key(address) != other.key(address)
    assert keys.key("Some.One+x@example.org") != keys.key(address)  # dots kept off Gmail
    assert keys.bucket("subscribe-ip:203.0.113.9") != other.bucket("subscribe-ip:203.0.113.9")
