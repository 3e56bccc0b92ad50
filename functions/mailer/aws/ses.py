"""The one SES adapter: every email, campaign or one-off, leaves through `SesAdapter.send_raw`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from botocore.exceptions import BotoCoreError

from mailer.aws.retry import Backoff
from mailer.aws.translate import aws_errors
from mailer.errors import UnknownSendOutcomeError


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
        before_each: Callable[[], object] | None = None,
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
        return self._backoff.call(
            lambda: self._send_once(request), before_each=before_each, time_left=time_left
        )

    def _send_once(self, request: dict[str, Any]) -> str:
        with aws_errors("sending an email"):
            try:
                return self._client.send_email(**request)["MessageId"]
            except BotoCoreError as exc:  # no HTTP answer: SES may have accepted it
                raise UnknownSendOutcomeError(f"sending an email: {exc}") from exc
