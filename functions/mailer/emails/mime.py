"""Builds the raw multipart/alternative message that SES sends, headers checked for injection."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, getaddresses, make_msgid

from mailer.errors import HeaderInjectionError

from .render import RenderedEmail

# CR and LF, plus every other character Python treats as a line boundary.
_LINE_BREAKS = re.compile("[\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")

# SES asks for 7-bit content in raw messages: non-ASCII bodies go base64 or quoted-printable.
# Header lines may run to RFC 5322's hard limit of 998: folding at 78 would turn a long
# List-Unsubscribe URL (one unbreakable word) into an RFC 2047 encoded word, which mail
# providers do not read as a link, and one-click unsubscribe would silently stop working.
_HEADERS = SMTP.clone(cte_type="7bit", max_line_length=998)
# Body parts are encoded with RFC 2045's 76-character lines: spam filters score long lines.
_BODIES = _HEADERS.clone(max_line_length=76)


@dataclass(frozen=True)
class Identity:
    """Who mail comes from: the address SES sends as, and the name people see beside it."""

    address: str
    name: str = ""


def _safe(name: str, value: str) -> str:
    """Refuse line breaks in a header value: they would let the value start a new header."""
    if _LINE_BREAKS.search(value):
        raise HeaderInjectionError(f"header {name} contains a line break")
    return value


def _assert_one_recipient(message: EmailMessage, to: str) -> None:
    """Refuse a To header that a mail server would read as anything but the one address meant.

    RFC 2047 encoded words are decoded by the header parser: an encoded comma would turn one
    typed address into two recipients, so check what the header says once written out.
    """
    written = message["To"].fold(policy=_HEADERS).partition(":")[2]
    parsed = getaddresses([" ".join(written.split())])
    if len(parsed) != 1 or parsed[0][1] != to or parsed[0][0]:
        raise HeaderInjectionError("header To does not hold exactly the one address intended")


def build_message(
    email: RenderedEmail,
    *,
    sender: str,
    to: str,
    sender_name: str = "",
    list_unsubscribe_url: str | None = None,
    date: dt.datetime | None = None,
    extra_headers: dict[str, str] | None = None,
) -> EmailMessage:
    """Make the message: text part first, HTML second; campaign mail gets RFC 8058 headers."""
    message = EmailMessage(policy=_BODIES)
    domain = _safe("From", sender).rpartition("@")[2] or "localhost"
    message["From"] = (
        Address(display_name=_safe("From", sender_name), addr_spec=sender)
        if sender_name
        else sender
    )
    try:
        message["To"] = _safe("To", to)
    except ValueError:  # the header parser decoded an encoded word into CR or LF
        raise HeaderInjectionError("header To contains a line break") from None
    _assert_one_recipient(message, to)
    message["Subject"] = _safe("Subject", email.subject)
    message["Date"] = format_datetime(date or dt.datetime.now(dt.UTC))
    message["Message-ID"] = make_msgid(domain=domain)
    if list_unsubscribe_url:
        message["List-Unsubscribe"] = f"<{_safe('List-Unsubscribe', list_unsubscribe_url)}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    for name, value in (extra_headers or {}).items():
        message[_safe("header name", name)] = _safe(name, value)
    message.set_content(email.text, subtype="plain", charset="utf-8")
    message.add_alternative(email.html, subtype="html", charset="utf-8")
    # The parts are encoded now, at 76 columns; the headers are written out with the message.
    message.policy = _HEADERS
    return message
