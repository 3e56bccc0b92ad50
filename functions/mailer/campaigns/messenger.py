"""The messenger: a composed campaign email handed to SES, paced at the sender's share of the
quota (its token bucket) and retried while SES refuses, within the invocation's time."""

from __future__ import annotations

from collections.abc import Callable

from mailer.aws.ses import SesAdapter

from .engine import START_MARGIN
from .model import Campaign
from .pacing import TokenBucket


class Messenger:
    """Sends raw campaign emails through SES, paced by one token bucket a sender."""

    def __init__(self, ses: SesAdapter, bucket: TokenBucket, start_margin: float = START_MARGIN):
        """`start_margin`: seconds kept back from `time_left` for recording the outcome."""
        self._ses = ses
        self.bucket = bucket
        self._start_margin = start_margin

    def send(
        self,
        raw: bytes,
        *,
        to: str,
        campaign: Campaign,
        audience: str,
        time_left: Callable[[], float] | None = None,
    ) -> str:
        """Send one message tagged with its campaign and group; return SES's message id."""
        margin = self._start_margin
        return self._ses.send_raw(
            raw,
            to=to,
            tags={"campaign": campaign.tag, "audience": audience},
            pace=self.bucket,
            time_left=None if time_left is None else (lambda: time_left() - margin),
        )
