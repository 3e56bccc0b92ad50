"""The one SES adapter: every email, campaign or one-off, leaves through `SesAdapter.send_raw`."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from botocore.exceptions import BotoCoreError

from mailer.aws.retry import Backoff, Pace
from mailer.aws.translate import aws_errors
from mailer.errors import MailerError, UnknownSendOutcomeError

logger = logging.getLogger(__name__)


class SesAdapter:
    """Sends raw MIME through SES v2, retrying only answers that say SES refused (throttling).

    The client must not retry sends by itself (Clients.sesv2_send): a lost answer is reported as
    UnknownSendOutcomeError, never retried blindly, since SES may have taken the message.
    """

    def __init__(
        self, client: Any, *, from_address: str, configuration_set: str = "", backoff: Backoff
    ) -> None:
        self._client = client
        self._from = from_address
        self._configuration_set = configuration_set
        self._backoff = backoff

    def send_raw(
        self,
        raw: bytes,
        *,
        to: str,
        tags: Mapping[str, str],
        pace: Pace | None = None,
        time_left: Callable[[], float] | None = None,
    ) -> str:
        """Send one message to one address; return SES's message id.

        ThrottlingError once retries or `time_left` run out; UnknownSendOutcomeError if no
        answer came back; StoreError for any other refusal.
        """
        request: dict[str, Any] = {
            "FromEmailAddress": self._from,
            "Destination": {"ToAddresses": [to]},
            "Content": {"Raw": {"Data": raw}},
            "EmailTags": [{"Name": name, "Value": value} for name, value in tags.items()],
        }
        if self._configuration_set:
            request["ConfigurationSetName"] = self._configuration_set
        return self._backoff.call(lambda: self._send_once(request), pace=pace, time_left=time_left)

    def max_send_rate(self, fallback: float) -> float:
        """The account's SES quota in messages a second (GetAccount's SendQuota.MaxSendRate),
        or `fallback` when it cannot be read."""
        try:
            with aws_errors("reading the SES sending quota"):
                rate = float(self._client.get_account()["SendQuota"]["MaxSendRate"])
        except (MailerError, KeyError, TypeError, ValueError) as exc:
            logger.warning("SES quota unknown (%s): pacing at MAX_SEND_RATE", exc)
            return fallback
        except NotImplementedError:  # moto (tests, the local stack) has no GetAccount
            return fallback
        return rate if rate > 0 else fallback

    def _send_once(self, request: dict[str, Any]) -> str:
        with aws_errors("sending an email"):
            try:
                return self._client.send_email(**request)["MessageId"]
            except BotoCoreError as exc:  # no HTTP answer: SES may have accepted it
                raise UnknownSendOutcomeError(f"sending an email: {exc}") from exc
