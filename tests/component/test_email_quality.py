"""The quality gate on every kind of email the mailer sends: SpamAssassin's score (local rules,
no network), and the structure every message must have. Each message is made through the real
code path (tests/support/every_email.py)."""

from __future__ import annotations

import email
import email.policy
import email.utils
import html as html_lib
import re
import shutil
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from email.utils import getaddresses
from typing import Any

import pytest

from mailer.emails.mime import MessageTemplate, build_message
from mailer.emails.render import GMAIL_CLIP_BYTES, RenderedEmail
from mailer.local.outbox import OutboxMessage
from tests.support.every_email import CAMPAIGN_KINDS, KINDS, every_email_on_moto
from tests.support.wire import wire_faults

SPAM_LIMIT = 0.5
SUBJECT_LIMIT = 70
# Local rules only, and no learning: the score must not depend on this machine's history.
SPAMASSASSIN = [
    "spamassassin", "-L", "-t", "--cf=use_bayes 0", "--cf=bayes_auto_learn 0",
]  # fmt: skip


@pytest.fixture(scope="module")
def messages() -> Iterator[dict[str, Any]]:
    """One sent message of every kind, made on in-process moto."""
    with every_email_on_moto() as made:
        yield made


def _score(raw: str) -> tuple[float, list[str]]:
    """SpamAssassin's score and the rules hit, as `spamassassin -t` reports them."""
    out = subprocess.run(SPAMASSASSIN, input=raw, capture_output=True, text=True, check=True)
    report = out.stdout.split("Content analysis details:", 1)[1]
    score = float(re.search(r"\(\s*(-?[\d.]+) points", report)[1])
    rules = re.findall(r"^\s*(-?[\d.]+)\s+([A-Z0-9_]+)\s", report, re.M)
    return score, [f"{name} {points}" for points, name in rules if float(points) != 0]


def test_every_kind_scores_below_the_spam_limit(messages: dict[str, OutboxMessage]) -> None:
    if shutil.which("spamassassin") is None:
        pytest.fail("Debian's spamassassin is missing: apt-get install spamassassin (.ci/run does)")
    with ThreadPoolExecutor(max_workers=2) as pool:
        scores = dict(
            zip(messages, pool.map(_score, [m.raw for m in messages.values()]), strict=True)
        )
    print()
    for kind, (score, rules) in scores.items():
        print(f"{kind:<20} {score:>5.1f}  {', '.join(rules) or '-'}")
    failing = {k: v for k, v in scores.items() if v[0] >= SPAM_LIMIT}
    assert not failing, f"scores of {SPAM_LIMIT} or more: {failing}"


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_kind_is_well_formed(messages: dict[str, OutboxMessage], kind: str) -> None:
    message = messages[kind]
    raw = message.raw.encode()
    parsed = email.message_from_bytes(raw, policy=email.policy.strict)
    assert all(not part.defects for part in parsed.walk()), [p.defects for p in parsed.walk()]
    # Exactly the one intended address in To.
    assert getaddresses([parsed["To"]]) == [("", KINDS[kind][0])]
    assert len(parsed["Subject"]) <= SUBJECT_LIMIT, parsed["Subject"]
    assert wire_faults(raw) == []
    html = parsed.get_body(preferencelist=("html",)).get_content()
    text = parsed.get_body(preferencelist=("plain",)).get_content()
    assert len(html.encode()) < GMAIL_CLIP_BYTES
    for link in set(re.findall(r'href="(https://[^"]+)"', html)):
        assert link.replace("&amp;", "&") in text, f"{kind}: {link} is not in the text twin"
    for title in re.findall(r"<h2[^>]*>\s*<a [^>]*>([^<]+)</a>", html):
        title = " ".join(html_lib.unescape(title).split())
        assert title in " ".join(text.split()), f"{kind}: {title}"
    campaign = kind in CAMPAIGN_KINDS or kind == "preferences-changed"
    assert ("List-Unsubscribe" in parsed) is campaign
    assert ("List-Unsubscribe-Post" in parsed) is campaign


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_kind_crosses_the_wire_on_both_paths(
    messages: dict[str, OutboxMessage], kind: str
) -> None:
    """As sent, and rebuilt through the other MIME path (campaigns go through MessageTemplate,
    notices through build_message): CRLF only, no line over 998 octets, quoted-printable lines
    of at most 76, and the two paths' bytes equal but for the Message-ID."""
    sent = messages[kind]
    assert wire_faults(sent.raw.encode()) == [], kind
    rendered = RenderedEmail(kind, sent.subject, sent.html, sent.text)
    template = MessageTemplate(subject=sent.subject, sender=sent.source)
    addressing = {"to": sent.to, "list_unsubscribe_url": sent.list_unsubscribe.strip("<>") or None}
    date = email.utils.parsedate_to_datetime(sent.date)
    fast = template.fill(rendered, date=date, **addressing)
    slow = build_message(
        rendered, sender=sent.source, date=date, boundary=template.boundary, **addressing
    ).as_bytes()
    assert wire_faults(fast) == wire_faults(slow) == []
    message_id = re.compile(rb"^Message-ID: [^\r\n]*\r\n", re.M)
    assert message_id.sub(b"", fast) == message_id.sub(b"", slow)
