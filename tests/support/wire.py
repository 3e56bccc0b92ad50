"""What a receiving mail server checks of a message's bytes, before it reads a word: RFC 5322
line endings (CRLF only, since the SMTP smuggling fixes servers refuse bare LF and bare CR),
its 998-octet line limit, and RFC 2045's 76 for quoted-printable body lines."""

from __future__ import annotations

import email
import email.policy
import re

_BARE_LF = re.compile(rb"(?<!\r)\n")
_BARE_CR = re.compile(rb"\r(?!\n)")
MAX_LINE = 998
QP_LINE = 76


def bare_line_feeds(raw: bytes) -> int:
    """How many LFs in the message are not preceded by a CR."""
    return len(_BARE_LF.findall(raw))


def wire_faults(raw: bytes) -> list[str]:
    """Every way the raw message breaks the line rules, in words; empty when it breaks none."""
    faults = []
    if count := bare_line_feeds(raw):
        faults.append(f"{count} bare LF")
    if count := len(_BARE_CR.findall(raw)):
        faults.append(f"{count} bare CR")
    # Split on every kind of line end, so a bare LF cannot hide a long line behind it.
    lines = re.split(rb"\r\n|\r|\n", raw)
    if long := [n for n, line in enumerate(lines, 1) if len(line) > MAX_LINE]:
        faults.append(f"lines over {MAX_LINE} octets: {long[:5]}")
    parsed = email.message_from_bytes(raw, policy=email.policy.compat32)
    for part in parsed.walk():
        if part.get("Content-Transfer-Encoding", "").lower() != "quoted-printable":
            continue
        payload = part.get_payload(decode=False).encode("ascii")
        over = [line for line in re.split(rb"\r\n|\r|\n", payload) if len(line) > QP_LINE]
        if over:
            kind = part.get_content_type()
            faults.append(f"{kind}: {len(over)} quoted-printable lines over {QP_LINE}")
    return faults
