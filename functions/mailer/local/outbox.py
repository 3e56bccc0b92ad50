"""The dev outbox: every message the fake SES accepted, parsed for people to read."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class OutboxMessage:
    """One sent message, with its raw MIME and the parts people look at."""

    id: str
    source: str
    destinations: tuple[str, ...]
    raw: str
    subject: str
    to: str
    date: str
    text: str
    html: str
    list_unsubscribe: str
    headers: dict[str, str]

    @classmethod
    def parse(
        cls, message_id: str, source: str, destinations: Iterable[str], raw: str
    ) -> OutboxMessage:
        """Parse a raw MIME message as SES received it."""
        parsed = email.message_from_string(raw, policy=email.policy.default)
        text = parsed.get_body(preferencelist=("plain",))
        html = parsed.get_body(preferencelist=("html",))
        return cls(
            id=message_id,
            source=source,
            destinations=tuple(dict.fromkeys(destinations)),  # moto lists the To address twice
            raw=raw,
            subject=str(parsed.get("Subject", "")),
            to=str(parsed.get("To", "")),
            date=str(parsed.get("Date", "")),
            text=text.get_content() if text else "",
            html=html.get_content() if html else "",
            list_unsubscribe=str(parsed.get("List-Unsubscribe", "")),
            headers={name: str(value) for name, value in parsed.items()},
        )

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready record."""
        return {
            "id": self.id,
            "source": self.source,
            "destinations": list(self.destinations),
            "subject": self.subject,
            "to": self.to,
            "date": self.date,
            "list_unsubscribe": self.list_unsubscribe,
            "raw": self.raw,
        }


MessageSource = Callable[[], list[OutboxMessage]]


def moto_outbox(region: str, account_id: str = "123456789012") -> MessageSource:
    """Read sent messages straight from moto's SES backend (moto runs in this process)."""

    def read() -> list[OutboxMessage]:
        from moto.ses.models import ses_backends  # only ever imported on the local stack

        sent = ses_backends[account_id][region].sent_messages
        return [
            OutboxMessage.parse(m.id, m.source, m.destinations, m.raw_data)
            for m in reversed(sent)  # newest first
            if hasattr(m, "raw_data")  # the mailer only sends Raw content
        ]

    return read
