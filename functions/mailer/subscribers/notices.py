"""One-off emails to one person (confirm, manage, preferences changed), sent straight away."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from typing import Any

from mailer.aws.clients import aws_errors
from mailer.emails.mime import build_message
from mailer.emails.render import EmailRenderer
from mailer.errors import ThrottlingError
from mailer.settings import Settings


class TransactionalMailer:
    """Renders and sends a single email through SES v2 with Raw content."""

    def __init__(
        self,
        settings: Settings,
        sesv2: Any,
        renderer: EmailRenderer,
        sleep: Callable[[float], None] = time.sleep,
        attempts: int = 4,
    ) -> None:
        self._settings = settings
        self._sesv2 = sesv2
        self._renderer = renderer
        self._sleep = sleep
        self._attempts = attempts

    def send(
        self,
        template: str,
        context: Mapping[str, Any],
        recipient: Mapping[str, str],
        to: str,
        *,
        list_unsubscribe_url: str | None = None,
    ) -> str:
        """Send one email; retry throttling with backoff; return the SES message id."""
        email = self._renderer.render(template, context, recipient)
        raw = build_message(
            email,
            sender=self._settings.sender_address,
            to=to,
            sender_name=self._settings.organisation_name,
            list_unsubscribe_url=list_unsubscribe_url,
        ).as_bytes()
        request: dict[str, Any] = {
            "FromEmailAddress": self._settings.sender_address,
            "Destination": {"ToAddresses": [to]},
            "Content": {"Raw": {"Data": raw}},
            "EmailTags": [{"Name": "kind", "Value": template}],
        }
        if self._settings.configuration_set:
            request["ConfigurationSetName"] = self._settings.configuration_set
        for attempt in range(1, self._attempts + 1):
            try:
                with aws_errors(f"sending the {template} email"):
                    return self._sesv2.send_email(**request)["MessageId"]
            except ThrottlingError:
                if attempt == self._attempts:
                    raise
                # Full jitter: concurrent web requests must not retry in lockstep.
                self._sleep(random.uniform(0, 0.2 * 2**attempt))  # noqa: S311
        raise AssertionError("unreachable")  # pragma: no cover
