"""The raw message SES sends: headers, parts, RFC 8058 unsubscribe and header-injection refusal."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import re
from email.message import EmailMessage
from email.utils import parseaddr, parsedate_to_datetime
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from mailer.emails.mime import build_message
from mailer.emails.render import RenderedEmail
from mailer.errors import HeaderInjectionError
from tests.support.wire import bare_line_feeds, wire_faults

HTML = (
    '<!doctype html><html lang="en-GB"><body><p>Caf\u00e9 &amp; r\u00e9sum\u00e9</p></body></html>'
)
TEXT = "Caf\u00e9 & r\u00e9sum\u00e9\n\nUnsubscribe:\nhttps://example.org/u?t=1&s=2\n"
EMAIL = RenderedEmail(name="digest", subject="December 2026: free resources", html=HTML, text=TEXT)
UNSUBSCRIBE = "https://example.org/unsubscribe?token=abc&s=1"
SENT = dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.UTC)


def round_trip(message: EmailMessage) -> Any:
    """Serialise as SES would receive it, then parse back as a mail client would."""
    return email.message_from_bytes(message.as_bytes(), policy=email.policy.default)


def build(rendered: RenderedEmail = EMAIL, **overrides: Any) -> EmailMessage:
    kwargs: dict[str, Any] = {
        "sender": "news@antislavery.example",
        "to": "sam@example.com",
        "sender_name": "Anti-Slavery International",
        "list_unsubscribe_url": UNSUBSCRIBE,
        "date": SENT,
    }
    kwargs.update(overrides)
    return build_message(rendered, **kwargs)


def test_addressing_headers() -> None:
    """From shows the charity's name and address; To and Subject are as given."""
    parsed = round_trip(build())
    assert parseaddr(parsed["From"]) == ("Anti-Slavery International", "news@antislavery.example")
    assert parsed["To"] == "sam@example.com"
    assert parsed["Subject"] == "December 2026: free resources"


def test_from_without_a_name_is_the_bare_address() -> None:
    """No sender name gives a plain From address."""
    parsed = round_trip(build(sender_name=""))
    assert parseaddr(parsed["From"]) == ("", "news@antislavery.example")


def test_date_header_is_the_given_time() -> None:
    """Date is an RFC 5322 date of the send time."""
    parsed = round_trip(build())
    assert parsedate_to_datetime(parsed["Date"]) == SENT


def test_date_defaults_to_now() -> None:
    """Without a date, the message is dated now (in UTC)."""
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    parsed = round_trip(build(date=None))
    after = dt.datetime.now(dt.UTC)
    sent = parsedate_to_datetime(parsed["Date"])
    assert before <= sent <= after
    assert sent.utcoffset() == dt.timedelta(0)


def test_message_id_is_unique_and_on_the_sender_domain() -> None:
    """Each message gets its own Message-ID under the sender's domain."""
    first = round_trip(build())["Message-ID"]
    second = round_trip(build())["Message-ID"]
    assert re.fullmatch(r"<[^<>@\s]+@antislavery\.example>", first)
    assert first != second


def test_parts_are_text_then_html() -> None:
    """multipart/alternative with plain text first and HTML last (clients prefer the last)."""
    parsed = round_trip(build())
    assert parsed.get_content_type() == "multipart/alternative"
    parts = list(parsed.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert [p.get_content_charset() for p in parts] == ["utf-8", "utf-8"]


def body(part: Any) -> str:
    """A part's decoded text with the wire's CRLF line ends turned back into \\n."""
    return str(part.get_content()).replace("\r\n", "\n")


def test_bodies_survive_the_round_trip() -> None:
    """Decoded bodies equal what the renderer produced, accents and & included."""
    parsed = round_trip(build())
    plain, html = parsed.iter_parts()
    assert body(plain) == TEXT
    assert body(html).rstrip("\n") == HTML
    assert body(parsed.get_body(("html",))).rstrip("\n") == HTML
    assert body(parsed.get_body(("plain",))) == TEXT


def test_long_lines_survive_the_round_trip() -> None:
    """Lines longer than SMTP's 998-octet limit come back intact after transfer encoding."""
    long_html = "<p>" + "x" * 3000 + "</p>"
    rendered = RenderedEmail("digest", "Subject", long_html, "y" * 3000 + "\n")
    raw = build(rendered).as_bytes()
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert body(parsed.get_body(("html",))).rstrip("\n") == long_html
    assert body(parsed.get_body(("plain",))) == "y" * 3000 + "\n"


def test_one_click_unsubscribe_headers() -> None:
    """Campaign mail carries RFC 8058 List-Unsubscribe and List-Unsubscribe-Post."""
    parsed = round_trip(build())
    assert parsed["List-Unsubscribe"] == f"<{UNSUBSCRIBE}>"
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


@pytest.mark.parametrize("url", [None, ""])
def test_no_unsubscribe_headers_without_a_url(url: str | None) -> None:
    """Transactional mail (the confirmation) has no List-Unsubscribe headers."""
    parsed = round_trip(build(list_unsubscribe_url=url))
    assert "List-Unsubscribe" not in parsed
    assert "List-Unsubscribe-Post" not in parsed


def test_extra_headers_are_added() -> None:
    """Extra headers (e.g. the SES configuration set) are passed through."""
    parsed = round_trip(build(extra_headers={"X-SES-CONFIGURATION-SET": "mailer"}))
    assert parsed["X-SES-CONFIGURATION-SET"] == "mailer"


def test_non_ascii_subject_and_name_round_trip() -> None:
    """Accented and typographic characters survive encoding in headers."""
    rendered = RenderedEmail("digest", "Caf\u00e9 \u2013 r\u00e9sum\u00e9", HTML, TEXT)
    parsed = round_trip(build(rendered, sender_name="Anti-Esclavage \u00c9quipe"))
    assert parsed["Subject"] == "Caf\u00e9 \u2013 r\u00e9sum\u00e9"
    assert parseaddr(parsed["From"])[0] == "Anti-Esclavage \u00c9quipe"
    headers = build(rendered, sender_name="\u00c9quipe").as_bytes().split(b"\r\n\r\n")[0]
    assert all(byte < 128 for byte in headers), "headers must be 7-bit (RFC 2047 encoded)"


def test_long_subject_is_folded_and_unfolds_intact() -> None:
    """A subject longer than one header line comes back as one line."""
    subject = "December 2026: free resources on modern slavery for faith groups " * 3
    rendered = RenderedEmail("digest", subject.strip(), HTML, TEXT)
    assert round_trip(build(rendered))["Subject"] == subject.strip()


BREAKS = ["\r", "\n", "\r\n"]


@pytest.mark.parametrize("brk", BREAKS, ids=["cr", "lf", "crlf"])
@pytest.mark.parametrize(
    "where",
    ["subject", "to", "sender_name", "list_unsubscribe_url", "extra_value", "extra_name"],
)
def test_line_breaks_in_headers_are_refused(where: str, brk: str) -> None:
    """A CR or LF in any header value would let it add headers (Bcc: ...): refused."""
    evil = f"x{brk}Bcc: victim@example.com"
    overrides: dict[str, Any] = {}
    rendered = EMAIL
    if where == "subject":
        rendered = RenderedEmail("digest", evil, HTML, TEXT)
    elif where == "extra_value":
        overrides["extra_headers"] = {"X-Campaign": evil}
    elif where == "extra_name":
        overrides["extra_headers"] = {evil: "1"}
    else:
        overrides[where] = evil
    with pytest.raises(HeaderInjectionError, match="line break"):
        build(rendered, **overrides)


@pytest.mark.parametrize("brk", ["\x0b", "\x0c", "\x85", "\u2028"])
def test_other_line_breaks_raise_the_domain_error(brk: str) -> None:
    """Callers catch HeaderInjectionError; a library ValueError escapes their handling."""
    with pytest.raises(HeaderInjectionError):
        build(to=f"sam@example.com{brk}x")


# --- properties -------------------------------------------------------------------------------

UNICODE_LINE_BREAKS = "\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"  # refused like CR and LF
subjects = st.text(
    alphabet=st.characters(
        exclude_categories=("Cs",), exclude_characters="\r\n" + UNICODE_LINE_BREAKS
    ),
    max_size=200,
)


@settings(deadline=None)
@given(before=subjects, brk=st.sampled_from([*BREAKS, *UNICODE_LINE_BREAKS]), after=subjects)
def test_any_subject_with_a_line_break_is_refused(before: str, brk: str, after: str) -> None:
    """Wherever a line break (CR, LF or a Unicode one) sits in the subject, nothing is built."""
    with pytest.raises(HeaderInjectionError):
        build(RenderedEmail("digest", before + brk + after, HTML, TEXT))


@settings(deadline=None)
@given(subject=subjects)
def test_any_subject_without_a_line_break_round_trips(subject: str) -> None:
    """Subjects as the renderer makes them (single-spaced, trimmed) come back unchanged."""
    subject = " ".join(subject.split())
    assume("=?" not in subject)  # looks like an RFC 2047 encoded word; clients decode it
    parsed = round_trip(build(RenderedEmail("digest", subject, HTML, TEXT)))
    assert parsed["Subject"] == subject


@pytest.mark.parametrize("audience", ["schools", "faith-groups", "individuals"])
def test_each_audience_digest_parses_back_with_headers_and_both_parts(audience: str) -> None:
    """The real December digest for each audience, as raw MIME, read back by `email`."""
    from pathlib import Path

    from mailer.campaigns.model import Period
    from mailer.campaigns.selection import select_resources
    from mailer.campaigns.variants import digest_context
    from mailer.catalogue.schema import Catalogue
    from mailer.emails.render import GMAIL_CLIP_BYTES, EmailRenderer
    from mailer.emails.views import greeting

    repo = Path(__file__).resolve().parents[2]
    catalogue = Catalogue.load(repo / "catalogue")
    site = "https://mailer.example.org"
    period = Period.parse("2026-12")
    picks = select_resources(catalogue.resources, audience, [], period)
    renderer = EmailRenderer(
        repo / "templates" / "email",
        {"site_url": site, "charity_name": "ASI", "charity_address": ""},
    )
    rendered = renderer.render(
        "digest",
        digest_context(catalogue.vocabulary, site, audience, [], period, picks),
        {
            "greeting": greeting("Sam"),
            "manage_url": f"{site}/preferences/t",
            "unsubscribe_url": UNSUBSCRIBE,
        },
    )
    assert len(rendered.html.encode()) < GMAIL_CLIP_BYTES
    parsed = round_trip(build(rendered))
    assert parsed["Subject"] == rendered.subject and "December 2026" in parsed["Subject"]
    assert parsed["List-Unsubscribe"] == f"<{UNSUBSCRIBE}>"
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert parsed["Message-ID"] and parsed["Date"] and parsed["To"] == "sam@example.com"
    text = parsed.get_body(("plain",)).get_content()
    html = parsed.get_body(("html",)).get_content()
    assert [p.get_content_type() for p in parsed.iter_parts()] == ["text/plain", "text/html"]
    for pick in picks:
        assert pick.resource.title in text
    assert "Hello Sam," in text and "Hello Sam," in html
    assert html.replace("\r\n", "\n").rstrip("\n") == rendered.html.replace("\r\n", "\n")


def test_long_unsubscribe_url_stays_a_plain_header_in_the_raw_bytes() -> None:
    """Mail providers read the raw header: an RFC 2047 encoded word is not a link to them."""
    url = "https://mailer.example.org/unsubscribe/" + "A1b2-C3d4_" * 20
    raw = build(list_unsubscribe_url=url).as_bytes()
    assert f"\r\nList-Unsubscribe: <{url}>\r\n".encode() in raw
    assert b"List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n" in raw
    assert b"=?utf-8?" not in raw.split(b"\r\n\r\n", 1)[0].split(b"Subject:")[0]


@pytest.mark.parametrize(
    "to",
    [
        "=?utf-8?q?a=2Cb?=@example.org",  # an encoded comma: two recipients once decoded
        "=?utf-8?q?a=0D=0Ab?=@example.org",  # an encoded CR/LF
        "a@example.org, b@example.org",
        "Someone <a@example.org>",
    ],
)
def test_to_must_parse_to_exactly_the_one_address_intended(to: str) -> None:
    with pytest.raises(HeaderInjectionError):
        build(to=to)


# --- the campaign path: a variant's message built once, each recipient filled in ---------------


def both_paths(rendered: RenderedEmail, **overrides: Any) -> tuple[bytes, bytes]:
    """The same email by build_message and by MessageTemplate.fill, as the bytes SES gets."""
    from mailer.emails.mime import MessageTemplate

    kwargs: dict[str, Any] = {
        "to": "sam@example.com",
        "list_unsubscribe_url": UNSUBSCRIBE,
        "date": SENT,
        **overrides,
    }
    template = MessageTemplate(
        subject=rendered.subject,
        sender="news@antislavery.example",
        sender_name="Anti-Slavery International",
    )
    fast = template.fill(rendered, **kwargs)
    slow = build(rendered, boundary=template.boundary, **kwargs).as_bytes()
    return slow, fast


_MESSAGE_ID = re.compile(rb"^Message-ID: <[^>\r\n]+@antislavery\.example>\r$", re.M)


def assert_same_bytes(slow: bytes, fast: bytes) -> None:
    """Byte for byte the same message, but for the Message-ID each message has of its own (the
    Date is the same here because both were given it); neither has a wire fault."""
    assert len(_MESSAGE_ID.findall(slow)) == len(_MESSAGE_ID.findall(fast)) == 1
    assert _MESSAGE_ID.sub(b"", slow) == _MESSAGE_ID.sub(b"", fast)
    assert wire_faults(fast) == [], wire_faults(fast)


def assert_bodies_read_as_the_email_package_writes_them(raw: bytes, text: str, html: str) -> None:
    """Our one encoder, judged by the standard library's own: each part, decoded by a mail
    client, says what the `email` package's quoted-printable of the same text says."""
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    for subtype, content in (("plain", text), ("html", html)):
        reference = EmailMessage(policy=email.policy.SMTP)
        reference.set_content(content, subtype=subtype, charset="utf-8", cte="quoted-printable")
        expected = email.message_from_bytes(reference.as_bytes(), policy=email.policy.default)
        assert parsed.get_body((subtype,)).get_content() == expected.get_content()


@pytest.mark.parametrize(
    ("subject", "text", "html"),
    [
        (EMAIL.subject, TEXT, HTML),
        (
            "Caf\u00e9 \u2014 r\u00e9sum\u00e9 for Zo\u00eb",
            "Hello Zo\u00eb,\r\nline with trailing space \nx=y\t\n" + "long " * 60 + "\n",
            "<p>" + "\u00e9" * 200 + "</p>\n<a href='https://x/u?a=1&b=2'>=</a>",
        ),
        ("Plain", "no newline at the end", "<p>" + "a" * 2000 + "</p>"),
    ],
)
def test_a_filled_template_parses_to_the_same_email_as_the_email_package(
    subject: str, text: str, html: str
) -> None:
    rendered = RenderedEmail("digest", subject, html, text)
    slow, fast = both_paths(rendered)
    assert_same_bytes(slow, fast)
    assert_bodies_read_as_the_email_package_writes_them(fast, text, html)
    assert f"\r\nList-Unsubscribe: <{UNSUBSCRIBE}>\r\n".encode() in fast  # never folded


def test_a_filled_template_keeps_a_long_unsubscribe_url_on_one_line() -> None:
    url = "https://mailer.example.org/unsubscribe/" + "A1b2-C3d4_" * 20
    slow, fast = both_paths(EMAIL, list_unsubscribe_url=url)
    assert_same_bytes(slow, fast)
    assert f"\r\nList-Unsubscribe: <{url}>\r\n".encode() in fast


def test_a_filled_template_falls_back_for_what_it_cannot_write_as_is(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A List-Unsubscribe URL too long for one header line goes through the email package,
    which folds it (the fast path would write it on one line), and the bytes still agree; a
    URL that fits is written by the fast path."""
    from mailer.emails import mime

    fallbacks: list[str | None] = []

    def build_message_spy(*args: Any, **kwargs: Any) -> EmailMessage:
        fallbacks.append(kwargs.get("list_unsubscribe_url"))
        return build_message(*args, **kwargs)

    monkeypatch.setattr(mime, "build_message", build_message_spy)
    both_paths(EMAIL, list_unsubscribe_url=UNSUBSCRIBE)
    assert fallbacks == []  # a URL that fits: the template writes it
    long_url = "https://mailer.example.org/unsubscribe/" + "x" * 950
    slow, fast = both_paths(EMAIL, list_unsubscribe_url=long_url)
    assert fallbacks == [long_url]  # it fell back, once
    assert_same_bytes(slow, fast)
    assert f"List-Unsubscribe: <{long_url}>".encode() not in fast  # folded, as the package does
    parsed = email.message_from_bytes(fast, policy=email.policy.default)
    assert parsed["List-Unsubscribe"].strip() == f"<{long_url}>"


def test_a_filled_template_refuses_header_injection() -> None:
    from mailer.emails.mime import MessageTemplate

    template = MessageTemplate(subject=EMAIL.subject, sender="news@antislavery.example")
    with pytest.raises(HeaderInjectionError):
        template.fill(EMAIL, to="sam@example.com\r\nBcc: eve@example.com")
    with pytest.raises(HeaderInjectionError):
        template.fill(EMAIL, to="sam@example.com", list_unsubscribe_url="https://x/\nBcc: e")
    with pytest.raises(HeaderInjectionError):  # two recipients, or a name, in place of one
        template.fill(EMAIL, to="sam@example.com, eve@example.com")


@given(
    text=st.text(st.characters(blacklist_categories=("Cs",)), max_size=300),
    html=st.text(st.characters(blacklist_categories=("Cs",)), max_size=300),
)
@settings(max_examples=60)
def test_any_body_fills_to_the_same_bytes_as_build_message(text: str, html: str) -> None:
    """Both paths give the same bytes, CRLF only, 76-column parts that read as the email
    package's quoted-printable of the same text."""
    slow, fast = both_paths(RenderedEmail("digest", "Subject", html, text))
    assert_same_bytes(slow, fast)
    assert_bodies_read_as_the_email_package_writes_them(fast, text, html)


def test_one_template_fills_many_recipients_each_exactly() -> None:
    """Lines encoded for one recipient are reused for the next; only their own lines differ."""
    from mailer.emails.mime import MessageTemplate

    template = MessageTemplate(subject=EMAIL.subject, sender="news@antislavery.example")
    for name in ("Sam", "Zo\u00eb", "S\u00e1m " * 30):
        html = f"<p>Hello {name},</p>\n{HTML}"
        rendered = RenderedEmail("digest", EMAIL.subject, html, TEXT)
        fast = template.fill(rendered, to="sam@example.com", date=SENT)
        slow = build(
            rendered, sender_name="", list_unsubscribe_url=None, boundary=template.boundary
        ).as_bytes()
        assert_same_bytes(slow, fast)
        assert_bodies_read_as_the_email_package_writes_them(fast, TEXT, html)


def test_a_long_line_breaks_softly_with_crlf_only() -> None:
    """binascii ends its soft breaks with a bare LF: a 6,000-character HTML line (a digest's
    usual) must reach SES broken by CRLF alone, on both paths."""
    html = "<td>" + "<a href='https://x.example/r?id=1&amp;t=2'>Caf\u00e9 guide</a> " * 100
    slow, fast = both_paths(RenderedEmail("digest", "Subject", html, TEXT))
    assert bare_line_feeds(fast) == bare_line_feeds(slow) == 0
    assert fast.count(b"=\r\n") > 70  # soft breaks, each ended by CRLF
    assert_same_bytes(slow, fast)
