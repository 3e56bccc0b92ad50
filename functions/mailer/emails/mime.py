"""Builds the raw multipart/alternative message that SES sends, headers checked for injection:
build_message with the `email` package for one-off emails, and MessageTemplate for campaigns,
which builds a variant's headers and structure once and fills each recipient in afterwards."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage, MIMEPart
from email.policy import SMTP
from email.utils import format_datetime, getaddresses, make_msgid

from mailer.errors import HeaderInjectionError

from .qp import CRLF, FieldedBody, encode_body
from .render import Fields, RenderedEmail

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
    boundary: str | None = None,
) -> EmailMessage:
    """Make the message: text part first, HTML second; campaign mail gets RFC 8058 headers.

    The `email` package writes the headers (it folds and encodes what is not plain ASCII); both
    bodies are written by `_qp_body`, the one encoder MessageTemplate uses too, so the two paths
    give the same bytes for the same recipient.
    """
    message = EmailMessage(policy=_HEADERS)
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
    message["MIME-Version"] = "1.0"
    message["Content-Type"] = "multipart/alternative"
    message.set_boundary(boundary or new_boundary())
    for subtype, content in (("plain", email.text), ("html", email.html)):
        part = MIMEPart(policy=_HEADERS)
        part["Content-Type"] = f'text/{subtype}; charset="utf-8"'
        part["Content-Transfer-Encoding"] = "quoted-printable"
        part.set_payload(_qp_body(content, {}).decode("ascii"))
        message.attach(part)
    return message


def new_boundary() -> str:
    """A multipart boundary like the `email` package's. A quoted-printable body never holds
    "==" (a literal "=" is written =3D), so the boundary cannot occur inside a part."""
    return "=" * 15 + f"{secrets.randbelow(10**19):019d}" + "=="


_CRLF = CRLF
_BODIES_KEPT = 64  # variants' bodies a template keeps encoded (a digest has a few per subject)
# An address the header parser reads as itself and nothing else: a dot-atom local part and
# domain, no quotes, comments, commas or names (anything else is parsed to be sure).
_PLAIN_ADDRESS = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
)


def _qp_body(text: str, encoded_lines: dict[bytes, bytes]) -> bytes:
    """A body part in UTF-8 quoted-printable (qp.encode_body: the one encoder)."""
    return encode_body(text, encoded_lines)


class MessageTemplate:
    """One campaign variant's message: From, Subject and the MIME structure are built once
    (by the `email` package, so they encode exactly as build_message does); each recipient's
    To, Date, Message-ID, List-Unsubscribe and bodies are filled in per send.

    Building the whole message with the `email` package costs about 2 ms; this costs a few
    hundredths of that. Anything it cannot write as plain ASCII header text (a non-ASCII
    address, a header over 998 characters) goes through build_message instead.
    """

    def __init__(self, *, subject: str, sender: str, sender_name: str = "") -> None:
        self._subject = subject
        self._sender = sender
        self._sender_name = sender_name
        self._domain = _safe("From", sender).rpartition("@")[2] or "localhost"
        head = EmailMessage(policy=_HEADERS)
        head["From"] = (
            Address(display_name=_safe("From", sender_name), addr_spec=sender)
            if sender_name
            else sender
        )
        head["Subject"] = _safe("Subject", subject)
        block = head.as_bytes().split(_CRLF + _CRLF, 1)[0] + _CRLF
        start = block.index(b"Subject:")
        self._from_header, self._subject_header = block[:start], block[start:]
        self._encoded_lines: dict[bytes, bytes] = {}
        self._bodies: dict[tuple[str, ...], FieldedBody] = {}
        # One boundary serves every message of the variant: no body can contain it.
        self.boundary = new_boundary()

    def fill(
        self,
        email: RenderedEmail,
        *,
        to: str,
        list_unsubscribe_url: str | None = None,
        date: dt.datetime | None = None,
    ) -> bytes:
        """The raw message for one recipient: build_message's bytes, but for Date and Message-ID."""
        if email.subject != self._subject:
            raise ValueError("this template was built for another subject")
        to = _safe("To", to)
        if not _PLAIN_ADDRESS.fullmatch(to) and getaddresses([to]) != [
            ("", to)
        ]:  # a comma or a display name: not one address
            raise HeaderInjectionError("header To does not hold exactly the one address intended")
        url = _safe("List-Unsubscribe", list_unsubscribe_url) if list_unsubscribe_url else ""
        if not (to.isascii() and url.isascii()) or max(len(to), len(url)) > 900:
            return build_message(
                email,
                sender=self._sender,
                sender_name=self._sender_name,
                to=to,
                list_unsubscribe_url=list_unsubscribe_url,
                date=date,
                boundary=self.boundary,
            ).as_bytes()
        boundary = self.boundary.encode()
        parts = [
            self._from_header,
            b"To: " + to.encode() + _CRLF,
            self._subject_header,
            b"Date: " + format_datetime(date or dt.datetime.now(dt.UTC)).encode() + _CRLF,
            b"Message-ID: " + make_msgid(domain=self._domain).encode() + _CRLF,
        ]
        if url:
            parts += [
                b"List-Unsubscribe: <" + url.encode() + b">" + _CRLF,
                b"List-Unsubscribe-Post: List-Unsubscribe=One-Click" + _CRLF,
            ]
        parts += [
            b"MIME-Version: 1.0" + _CRLF,
            b'Content-Type: multipart/alternative; boundary="' + boundary + b'"' + _CRLF,
            _CRLF,
            b"--" + boundary + _CRLF,
            b'Content-Type: text/plain; charset="utf-8"' + _CRLF,
            b"Content-Transfer-Encoding: quoted-printable" + _CRLF,
            _CRLF,
            self._body(email.text, email.text_fields),
            _CRLF + b"--" + boundary + _CRLF,
            b'Content-Type: text/html; charset="utf-8"' + _CRLF,
            b"Content-Transfer-Encoding: quoted-printable" + _CRLF,
            _CRLF,
            self._body(email.html, email.html_fields),
            _CRLF + b"--" + boundary + b"--" + _CRLF,
        ]
        return b"".join(parts)

    def _body(self, text: str, fields: Fields | None) -> bytes:
        """One part's encoded body: from its fixed pieces when the renderer gave them and the
        values allow (qp.FieldedBody), else line by line; the bytes are the same either way."""
        if fields is not None and all(v and "\r" not in v and "\n" not in v for v in fields.values):
            body = self._bodies.get(fields.statics)
            if body is None:
                if len(self._bodies) >= _BODIES_KEPT:
                    self._bodies.clear()
                body = self._bodies[fields.statics] = FieldedBody(fields.statics)
            if body.usable:
                return body.fill(fields.values)
        return encode_body(text, self._encoded_lines)
