"""The one mail reader for tests: what moto's SES accepted, parsed as the dev outbox parses it."""

from __future__ import annotations

import re
from collections.abc import Iterable

from mailer.catalogue.schema import Resource
from mailer.local.outbox import OutboxMessage, moto_outbox
from tests.support.lambda_events import ACCOUNT, REGION


class Outbox:
    """What moto's SES accepted, parsed: the test's view of people's inboxes."""

    def __init__(self, region: str = REGION) -> None:
        self._read = moto_outbox(region, ACCOUNT)

    def all(self) -> list[OutboxMessage]:
        """Every message, oldest first."""
        return list(reversed(self._read()))

    def to(self, address: str) -> list[OutboxMessage]:
        """Messages sent to one address, oldest first."""
        return [m for m in self.all() if address in m.to]

    @staticmethod
    def link(message: OutboxMessage, path: str) -> str:
        """The first link in a message's text part whose path starts with `path`."""
        match = re.search(rf"https?://[^\s]+?{re.escape(path)}[^\s]+", message.text)
        assert match, f"no {path} link in: {message.text}"
        return match.group(0)


def sent_mail() -> list[OutboxMessage]:
    """Everything moto's SES accepted in this test, oldest first."""
    return Outbox().all()


def shows(mail: OutboxMessage, resources: Iterable[Resource]) -> set[str]:
    """The ids of the resources whose titles an email's text part shows."""
    return {r.id for r in resources if r.title in mail.text}


def per_recipient(mails: list[OutboxMessage]) -> dict[str, int]:
    """How many emails each address got."""
    counts: dict[str, int] = {}
    for mail in mails:
        counts[mail.to] = counts.get(mail.to, 0) + 1
    return counts
