"""Notices: the one-off emails a person's own action causes (confirm, manage, preferences
changed), rendered and sent at once through the one SES adapter."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from mailer.aws.ses import SesAdapter
from mailer.catalogue.schema import Vocabulary
from mailer.emails.mime import Identity, build_message
from mailer.emails.render import EmailRenderer
from mailer.emails.views import greeting, reason_line

from .links import Links
from .model import Subscriber
from .tokens import MAX_AGE, Purpose

CONFIRM_DAYS = MAX_AGE[Purpose.CONFIRM] // (24 * 3600)


class Notices:
    """Sends each notice to one person; throttling is retried by the SES adapter."""

    def __init__(
        self,
        *,
        renderer: EmailRenderer,
        ses: SesAdapter,
        sender: Identity,
        links: Links,
        vocabulary: Vocabulary,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._renderer = renderer
        self._ses = ses
        self._sender = sender
        self._links = links
        self._vocabulary = vocabulary
        self._clock = clock

    def confirm(self, pending: Subscriber) -> str:
        """The double opt-in email. Deliberately nothing the visitor typed but the address."""
        return self._send(
            "confirm_subscription",
            confirm_context(CONFIRM_DAYS),
            {"confirm_url": self._links.confirm(pending)},
            pending.email,
        )

    def repermission(self, pending: Subscriber) -> str:
        """The one email asking an imported address to subscribe (nothing until they press)."""
        return self._send(
            "repermission",
            confirm_context(CONFIRM_DAYS),
            {"confirm_url": self._links.confirm(pending)},
            pending.email,
        )

    def manage(self, subscriber: Subscriber) -> str:
        """The link to manage an existing subscription (someone typed a confirmed address)."""
        return self._send(
            "manage_subscription",
            {"reason": ""},
            {"manage_url": self._links.manage(subscriber)},
            subscriber.email,
        )

    def preferences_changed(self, subscriber: Subscriber) -> str:
        """Tell a subscriber their group or topics changed, with a way back and a way out."""
        unsubscribe_url = self._links.unsubscribe(subscriber)
        return self._send(
            "preferences_changed",
            preferences_changed_context(self._vocabulary, subscriber.audience, subscriber.topics),
            {
                "greeting": greeting(subscriber.name),
                "manage_url": self._links.manage(subscriber),
                "unsubscribe_url": unsubscribe_url,
            },
            subscriber.email,
            list_unsubscribe_url=unsubscribe_url,
        )

    def _send(
        self,
        template: str,
        context: Mapping[str, Any],
        recipient: Mapping[str, str],
        to: str,
        *,
        list_unsubscribe_url: str | None = None,
    ) -> str:
        email = self._renderer.render(template, context, recipient)
        message = build_message(
            email,
            sender=self._sender.address,
            sender_name=self._sender.name,
            to=to,
            list_unsubscribe_url=list_unsubscribe_url,
            date=dt.datetime.fromtimestamp(self._clock(), dt.UTC),
        )
        return self._ses.send_raw(message.as_bytes(), to=to, tags={"kind": template})


def preferences_changed_context(
    vocabulary: Vocabulary, audience: str, topics: Sequence[str]
) -> dict[str, Any]:
    """Context for preferences_changed.mjml/.txt."""
    return {
        "audience_label": vocabulary.audiences[audience],
        "topic_labels": [vocabulary.topics[t] for t in topics] or ["all topics"],
        "reason": reason_line(vocabulary, audience, topics),
    }


def confirm_context(confirm_days: int) -> dict[str, Any]:
    """Context for confirm_subscription.mjml/.txt: deliberately nothing the visitor typed."""
    return {"confirm_days": confirm_days, "reason": ""}
