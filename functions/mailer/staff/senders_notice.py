"""Telling the senders: a short email to each member of the `senders` group (a digest draft is
ready for review, or held for want of an approval). The members come from Cognito when the
notice is sent, so a member added or removed yesterday is counted as they are today."""

from __future__ import annotations

import datetime as dt
import html
import logging
from collections.abc import Callable, Iterator
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from mailer.aws.ses import SesAdapter
from mailer.emails.mime import Identity, build_message
from mailer.emails.render import RenderedEmail
from mailer.errors import MailerError

from .identity import SENDERS_GROUP

logger = logging.getLogger(__name__)


class SendersNotice:
    """Mails one notice to every enabled member of the senders group."""

    def __init__(
        self,
        *,
        cognito: Any,
        user_pool_id: str,
        ses: Callable[[], SesAdapter],
        sender: Identity,
        site_url: str,
        clock: Callable[[], float],
    ) -> None:
        """`ses` is called only when there is someone to mail (no SES client otherwise)."""
        self._cognito = cognito
        self._pool = user_pool_id
        self._ses = ses
        self._sender = sender
        self._site_url = site_url
        self._clock = clock

    def __call__(self, subject: str, text: str) -> int:
        """Send the notice (paths like /staff/... in `text` become links); how many were sent.
        A failure to reach one member is logged and the rest still get it."""
        if not self._pool:
            logger.warning("no staff user pool: notice not sent: %s", subject)
            return 0
        body = text.replace(" /staff/", f" {self._site_url}/staff/")
        email = RenderedEmail(
            name="senders-notice",
            subject=subject,
            html=f"<!doctype html><html><body><p>{html.escape(body)}</p></body></html>",
            text=body + "\n",
        )
        sent = 0
        for address in self._members():
            message = build_message(
                email,
                sender=self._sender.address,
                sender_name=self._sender.name,
                to=address,
                date=dt.datetime.fromtimestamp(self._clock(), dt.UTC),
            )
            try:
                self._ses().send_raw(message.as_bytes(), to=address, tags={"kind": "staff"})
            except MailerError as exc:
                logger.error("a notice to a sender failed: %s", exc)
                continue
            sent += 1
        logger.info("told %d sender(s): %s", sent, subject)
        return sent

    def _members(self) -> Iterator[str]:
        """Every enabled member of the senders group with an address."""
        kwargs: dict[str, Any] = {"UserPoolId": self._pool, "GroupName": SENDERS_GROUP}
        while True:
            try:
                page = self._cognito.list_users_in_group(**kwargs)
            except (BotoCoreError, ClientError) as exc:
                raise MailerError(f"listing the senders group: {exc}") from None
            for user in page.get("Users", []):
                values = {a["Name"]: a["Value"] for a in user.get("Attributes", [])}
                if user.get("Enabled", True) and values.get("email"):
                    yield values["email"]
            if not page.get("NextToken"):
                return
            kwargs["NextToken"] = page["NextToken"]
