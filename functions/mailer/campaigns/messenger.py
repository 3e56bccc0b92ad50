"""The messenger: a composed campaign email handed to SES, paced at the sender's share of the
quota (its token bucket) and retried while SES refuses, within the invocation's time."""

from __future__ import annotations

from collections.abc import Callable

from mailer.aws.ses import SesAdapter
from mailer.errors import MailerError

from .engine import START_MARGIN
from .model import Campaign
from .pacing import TokenBucket


class CampaignHeldError(MailerError):
    """Staff paused or cancelled the campaign while this email waited for its turn: it was
    not sent."""

    def __init__(self, control: str) -> None:
        super().__init__(f"campaign {control} while the email waited for its turn")
        self.control = control


class _CheckedTurns:
    """The bucket's turns, each followed by a look at the campaign's pause or cancel: at low
    rates a batch's last email waits seconds for its turn, and a pause must stop it too."""

    def __init__(self, bucket: TokenBucket, control: Callable[[], str]) -> None:
        self._bucket = bucket
        self._control = control

    def acquire(self) -> float:
        """Wait for the turn, then CampaignHeldError if staff stopped the campaign meanwhile."""
        waited = self._bucket.acquire()
        control = self._control()
        if control:
            raise CampaignHeldError(control)
        return waited


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
        control: Callable[[], str] | None = None,
        time_left: Callable[[], float] | None = None,
    ) -> str:
        """Send one message tagged with its campaign and group; return SES's message id.

        `control`: the campaign's pause or cancel ("" while it sends), looked at after each
        turn; CampaignHeldError if it is set then, and nothing is sent.
        """
        margin = self._start_margin
        return self._ses.send_raw(
            raw,
            to=to,
            tags={"campaign": campaign.tag, "audience": audience},
            pace=self.bucket if control is None else _CheckedTurns(self.bucket, control),
            time_left=None if time_left is None else (lambda: time_left() - margin),
        )
