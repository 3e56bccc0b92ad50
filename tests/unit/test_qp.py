"""The pieced quoted-printable encoder (emails/qp.py) gives the bytes of the whole-line encoder,
so a campaign's emails encoded from their variant's fixed pieces are the bytes build_message
writes, and every campaign email takes that path."""

from __future__ import annotations

import binascii
import dataclasses
import datetime as dt
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from mailer.campaigns.model import Period
from mailer.campaigns.selection import select_resources
from mailer.campaigns.variants import announcement_context, content_key, digest_context
from mailer.catalogue.schema import Catalogue
from mailer.emails.mime import MessageTemplate, build_message
from mailer.emails.qp import FieldedBody, encode_body, encode_from
from mailer.emails.render import EmailRenderer, RenderedEmail
from mailer.paths import catalogue_dir, email_templates_dir
from tests.support.wire import wire_faults

# Text that exercises every rule binascii has: escapes ("=", controls, non-ASCII), spaces and
# tabs (encoded at a line's end), "." (encoded alone at a line's start), long runs, line ends.
_CHARS = st.sampled_from([*"aZ9 \t=.<>&\"'~\u00e9\u2014\U0001f600\x01", "\n", "\r\n"])
_FIXED = st.lists(_CHARS, max_size=240).map("".join)
_VALUE = (
    st.lists(st.sampled_from(list("aZ9 \t=.~\u00e9\U0001f600")), min_size=1, max_size=90)
    .map("".join)
    .filter(lambda v: "\n" not in v and "\r" not in v)
)


@given(statics=st.lists(_FIXED, min_size=1, max_size=5), data=st.data())
@settings(max_examples=300)
def test_a_fielded_body_encodes_to_the_whole_body_bytes(statics: list[str], data: object) -> None:
    values = data.draw(st.lists(_VALUE, min_size=len(statics) - 1, max_size=len(statics) - 1))  # type: ignore[attr-defined]
    whole = statics[0] + "".join(v + s for v, s in zip(values, statics[1:], strict=True))
    body = FieldedBody(statics)
    assert body.usable
    assert body.fill(values) == encode_body(whole, {})
    assert body.fill(values) == encode_body(whole, {})  # again, from the kept pieces


@given(piece=_VALUE, column=st.integers(0, 75), last=st.booleans())
def test_encoding_from_a_column_is_the_tail_of_the_whole_line(
    piece: str, column: int, last: bool
) -> None:
    """A piece continued at a column encodes as it does after that many plain characters."""
    encoded, end, _ = encode_from(piece.encode(), column, last)
    assert encoded_prefix_free(column, piece, last) == encoded
    line = b"y" * column + encoded
    assert end == len(line.rsplit(b"\n", 1)[-1])


def encoded_prefix_free(column: int, piece: str, last: bool) -> bytes:
    """binascii's own encoding after other filler: the filler's choice changes nothing."""
    data = b"y" * column + piece.encode() + (b"" if last else b"z")
    out = binascii.b2a_qp(data, istext=True)[column:]
    return out if last else out[:-1]


def test_a_body_whose_fixed_text_holds_a_nul_is_not_pieced() -> None:
    assert not FieldedBody(["a\x00b", "c"]).usable


SENT = dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC)
BASE = {"site_url": "https://m.example.org", "charity_name": "ASI", "charity_address": "London"}


def _campaign_emails() -> list[tuple[str, dict[str, object]]]:
    catalogue = Catalogue.load(catalogue_dir())
    period = Period.parse("2026-12")
    vocabulary = catalogue.vocabulary
    found = []
    for audience in vocabulary.audiences:
        picks = select_resources(catalogue.resources, audience, [], period)
        context = digest_context(vocabulary, BASE["site_url"], audience, [], period, picks)
        found.append(("digest", context))
    resource = catalogue.resources[0]
    audience = resource.audiences[0]
    found.append(
        (
            "announcement",
            announcement_context(
                vocabulary, BASE["site_url"], audience, [], resource, "New = better."
            ),
        )
    )
    return found


_MESSAGE_ID = re.compile(rb"^Message-ID: [^\r\n]*\r\n", re.M)


def test_every_campaign_email_is_filled_from_its_pieces_to_build_messages_bytes() -> None:
    renderer = EmailRenderer(email_templates_dir(), BASE)
    recipients = [
        {"greeting": "Hello Zo\u00eb,", "manage_url": "https://m/p/a", "unsubscribe_url": "u"},
        {
            "greeting": "Hello " + "S\u00e1m " * 30 + ",",
            "manage_url": "m=1",
            "unsubscribe_url": "x",
        },
        {"greeting": "Hello,", "manage_url": "", "unsubscribe_url": "https://m/u/b "},
    ]
    for name, context in _campaign_emails():
        for recipient in recipients:
            email = renderer.render(name, context, recipient, content_key(context))
            assert email.html_fields is not None and email.text_fields is not None, name
            template = MessageTemplate(subject=email.subject, sender="news@m.example.org")
            addressing = {
                "to": "sam@example.com",
                "list_unsubscribe_url": "https://m/u",
                "date": SENT,
            }
            pieced = template.fill(email, **addressing)
            whole = template.fill(
                dataclasses.replace(email, html_fields=None, text_fields=None), **addressing
            )
            slow = build_message(
                RenderedEmail(email.name, email.subject, email.html, email.text),
                sender="news@m.example.org",
                boundary=template.boundary,
                **addressing,  # type: ignore[arg-type]
            ).as_bytes()
            assert _MESSAGE_ID.sub(b"", pieced) == _MESSAGE_ID.sub(b"", whole), name
            assert _MESSAGE_ID.sub(b"", pieced) == _MESSAGE_ID.sub(b"", slow), name
            assert wire_faults(pieced) == [], name
