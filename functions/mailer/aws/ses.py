"""The one SES adapter: every email, campaign or one-off, leaves through `SesAdapter.send_raw`."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

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
        or `fallback` when it cannot be read: with a warning, but from moto, which has none."""
        try:
            account = self._account()
            if account is None:  # moto (tests, the local stack): no quota, so none unknown
                return fallback
            rate = float(account["SendQuota"]["MaxSendRate"])
        except (MailerError, KeyError, TypeError, ValueError) as exc:
            logger.warning("SES quota unknown (%s): pacing at MAX_SEND_RATE", exc)
            return fallback
        return rate if rate > 0 else fallback

    def _account(self) -> Mapping[str, Any] | None:
        """GetAccount's answer; None from an endpoint that has no GetAccount (moto)."""
        with aws_errors("reading the SES sending quota"):
            try:
                return self._client.get_account()
            except (NotImplementedError, ClientError) as exc:
                if _lacks_get_account(exc):
                    return None
                raise

    def _send_once(self, request: dict[str, Any]) -> str:
        with aws_errors("sending an email"):
            try:
                return self._client.send_email(**request)["MessageId"]
            except BotoCoreError as exc:  # no HTTP answer: SES may have accepted it
                raise UnknownSendOutcomeError(f"sending an email: {exc}") from exc


def _lacks_get_account(exc: Exception) -> bool:
    """True for moto's answer to GetAccount, which it does not implement, whichever way it comes:
    in process it raises NotImplementedError; as a server (the local stack) it answers 404 with a
    web page, which names no error code. SES names every error it returns, and GetAccount reads
    no resource that could be missing, so no answer from AWS looks like either."""
    if isinstance(exc, NotImplementedError):
        return True
    answer = exc.response if isinstance(exc, ClientError) else {}
    status = answer.get("ResponseMetadata", {}).get("HTTPStatusCode")
    # botocore names an error its HTTP status when the body names none
    return status == 404 and answer.get("Error", {}).get("Code") == "404"
