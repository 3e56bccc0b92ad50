"""Who an address belongs to: its canonical form, and keyed one-way digests of it.

Limits and suppression key on what a sender cannot vary: case, `+tags`, and at Gmail dots and
the googlemail.com alias all reach one mailbox, so they all make one key. Mail still goes to
the address as typed. Digests are HMAC-SHA256 with a secret pepper, so an address cannot be
checked offline against a key seen in a log or a table export, nor an IPv4 bucket brute-forced.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
import secrets

from mailer.errors import MailerError

_GMAIL = {"gmail.com", "googlemail.com"}
# The mailbox names we accept: RFC 5322's dot-atom characters. "=?" is refused as well: it opens
# an RFC 2047 encoded word, which header parsers decode (into commas, CR/LF) when the address
# is written into To.
_LOCAL_PART = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+$")


class InvalidAddressError(MailerError):
    """An address we would not send to, with the reason in words."""


def checked_address(address: str) -> str:
    """The address as we store and send to it (ASCII, domain in Punycode), or
    InvalidAddressError saying what is wrong. Syntax only: no DNS look-ups."""
    if len(address) > 254:
        raise InvalidAddressError("longer than 254 characters")
    # Imported here, not at the top: its import compiles large patterns (a thirtieth of a second
    # of CPU), which a cold start serving any page but a form's answer does not need.
    from email_validator import EmailNotValidError, validate_email

    try:
        # SES takes 7-bit addresses only: no SMTPUTF8 mailbox names, domains in Punycode.
        checked = validate_email(address, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as exc:
        raise InvalidAddressError(str(exc)) from None
    if "=?" in checked.local_part or not _LOCAL_PART.match(checked.local_part):
        raise InvalidAddressError("the part before @ has characters we do not send to")
    return checked.ascii_email


def canonical_address(address: str) -> str:
    """One mailbox, one form: lower case, `+tag` dropped, Gmail's dots and alias folded."""
    local, _, domain = address.strip().lower().rpartition("@")
    local = local.split("+", 1)[0] or local
    if domain in _GMAIL:
        local, domain = local.replace(".", "") or local, "gmail.com"
    return f"{local}@{domain}"


def client_network(client_ip: str) -> str:
    """What one client controls: an IPv4 address, or an IPv6 /64 (one home or one host)."""
    try:
        ip = ipaddress.ip_address(client_ip)
    except ValueError:
        return client_ip
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def pepper_from(secret_key: str) -> bytes:
    """The pepper, derived from the secret key under its own label (never used to sign)."""
    return hmac.new(
        secret_key.encode("utf-8"), b"awareness-mailer/address-pepper", hashlib.sha256
    ).digest()


def new_link_id() -> str:
    """A random, opaque identifier for a subscriber's links (128 bits)."""
    return secrets.token_urlsafe(16)


class AddressKeys:
    """Keyed digests (HMAC-SHA256) of addresses and rate-limit buckets."""

    def __init__(self, pepper: bytes) -> None:
        self._pepper = pepper

    def _digest(self, label: str, value: str) -> str:
        message = f"{label}\x00{value}".encode()
        return hmac.new(self._pepper, message, hashlib.sha256).hexdigest()

    def key(self, address: str) -> str:
        """The subscriber and suppression key of an address (of its canonical form)."""
        return self._digest("address", canonical_address(address))

    def bucket(self, name: str) -> str:
        """A rate-limit bucket's stored name: no raw IP or address is ever stored."""
        return self._digest("bucket", name)[:32]
