"""The campaign's book: what the sender reads and writes about a campaign as it sends.

Campaign records (read once per process: what a campaign says never changes once it sends),
their pause or cancel (read at most every `control_ttl` seconds), who each recipient is now, and
the ledger entry and counts each send ends in. A failed write here is bookkeeping, never a reason
to send an email twice.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from threading import Lock

from mailer.errors import ConflictError, MailerError
from mailer.subscribers.model import Status, Subscriber
from mailer.subscribers.store import SubscriberStore

from .engine import EngineConfig
from .ledger import Claim, Done, Ledger
from .model import Campaign, SendOutcome
from .store import CampaignStore

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class NotSent:
    """Why a recipient gets nothing from this campaign."""

    outcome: SendOutcome
    reason: str


class CampaignBook:
    """Campaign records, control, recipients and the ledger, as one sender sees them."""

    def __init__(
        self,
        config: EngineConfig,
        *,
        campaigns: CampaignStore,
        ledger: Ledger,
        subscribers: SubscriberStore,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._config = config
        self._campaigns = campaigns
        self._ledger = ledger
        self._subscribers = subscribers
        self._clock = clock
        self._lock = Lock()
        self._records: OrderedDict[str, Campaign] = OrderedDict()
        self._controls: dict[str, tuple[float, str]] = {}  # campaign -> (read at, control)
        self._touched: set[str] = set()

    def campaign(self, campaign_id: str) -> Campaign | None:
        """The campaign record, read once per process and kept (None if it has none)."""
        with self._lock:
            campaign = self._records.get(campaign_id)
        if campaign is not None:
            return campaign
        campaign = self._campaigns.get(campaign_id)  # outside the lock: no thread waits on it
        if campaign is None:
            return None
        with self._lock:
            campaign = self._records.setdefault(campaign_id, campaign)
            if len(self._records) > self._config.content_cache:
                self._records.popitem(last=False)
        return campaign

    def prepare(self, campaign_ids: Iterable[str]) -> None:
        """Read these campaigns' records and controls into the caches, one at a time, before a
        batch's threads start: each read of a record costs several read units (it holds the
        approved content), and a campaign's senders all start together, so ten threads
        missing the cache at once took 1,580 RCU in one second of the campaign's partition at
        R = 1,000, over half of its 3,000. A campaign with no record is left to the sends to
        report."""
        for campaign_id in dict.fromkeys(campaign_ids):
            try:
                if self.campaign(campaign_id) is not None:
                    self.control(campaign_id)
            except MailerError as exc:  # each send reads again, and fails alone if it must
                logger.warning(
                    "could not read campaign %s ahead of its batch: %s", campaign_id, exc
                )

    def control(self, campaign_id: str) -> str:
        """The campaign's pause or cancel, read at most every `control_ttl` seconds."""
        now = self._clock()
        cached = self._controls.get(campaign_id)
        if cached is None or now - cached[0] >= self._config.control_ttl:
            cached = (now, self._campaigns.control(campaign_id))
            self._controls[campaign_id] = cached
        return cached[1]

    def recipient(self, campaign: Campaign, key: str) -> Subscriber | NotSent:
        """Who this subscriber is now, or why they get nothing from `campaign`."""
        subscriber = self._subscribers.get(key)
        if subscriber is None or subscriber.status is not Status.CONFIRMED:
            return NotSent(SendOutcome.SKIPPED, "not subscribed")
        if self._subscribers.is_suppressed(key):
            return NotSent(SendOutcome.SUPPRESSED, "suppressed")
        followed = self._followed(campaign)
        if followed is not None and self._ledger.reached(followed, key):
            return NotSent(SendOutcome.SKIPPED, "had it from the cancelled campaign")
        if not subscriber.wants(campaign.kind.value):
            # Their choice (digest, announcements or both), read now: a change made after
            # the planner queued them still counts.
            return NotSent(SendOutcome.SKIPPED, f"chose not to get {campaign.kind}s")
        return subscriber

    def _followed(self, campaign: Campaign) -> Campaign | None:
        """The cancelled campaign a copy carries on, if any."""
        if not campaign.follows:
            return None
        followed = self.campaign(campaign.follows)
        if followed is None:
            logger.error("a campaign follows %r, which has no record", campaign.follows)
        return followed

    def park(self, campaign: Campaign, key: str, audience: str) -> bool:
        """Set the recipient aside while the campaign is paused; False if it is not paused any
        more (resumed since this sender read it), and the pause read is then forgotten, so the
        checks before the send read the campaign again rather than hold the email back."""
        if self._ledger.park(campaign, key, audience):
            return True
        self._controls.pop(campaign.id, None)
        return False

    def claim(self, campaign: Campaign, key: str, audience: str) -> Claim | Done:
        """Claim the send, or say it is done already (counting a group the planner moved)."""
        claimed = self._ledger.claim(campaign, key, audience)
        # Even a duplicate may be the campaign's last record (its first sender died after
        # recording the outcome), so the finish check covers it too.
        self._touched.add(campaign.id)
        if isinstance(claimed, Done) and claimed.audience and claimed.audience != audience:
            self._ledger.count_moved(campaign, key, audience)
        return claimed

    def record(self, claim: Claim, outcome: SendOutcome, reason: str) -> None:
        """Make the entry final with an outcome other than sent."""
        self._ledger.finish(claim, outcome, reason=reason)

    def release(self, claim: Claim) -> None:
        """Free the claim of an email that was never sent, so its next delivery can claim it."""
        self._ledger.release(claim)

    def give_back(self, claim: Claim, receive_count: int, exc: Exception) -> None:
        """SES did not take the message: free the claim, or on the last attempt mark it failed."""
        try:
            if receive_count >= self._config.max_receives:
                reason = f"{type(exc).__name__}: {exc}"[:300]
                self._ledger.finish(claim, SendOutcome.FAILED, reason=reason)
                logger.error(
                    "failed for good, to the DLQ: %s (%s)", claim.subscriber_key[:12], reason
                )
            else:
                self._ledger.release(claim)
                logger.warning("will retry %s: %s", claim.subscriber_key[:12], exc)
        except MailerError:
            # The claim's lease runs out on its own; the record is retried either way.
            logger.exception("could not update the ledger after a failed send")

    def record_sent(
        self, claim: Claim, message_id: str, time_left: Callable[[], float] | None
    ) -> None:
        """Make the entry final; SES has accepted the message, so never give the record back."""
        who = f"{claim.campaign_id} {claim.subscriber_key[:12]}"
        try:
            self._ledger.record_sent(claim, message_id, time_left)
        except ConflictError:
            logger.warning("lease lost after sending %s", who)
        except MailerError:
            # Reporting the record failed would send the email again on redelivery. The email
            # is out; only a throttle that outlasts the invocation gets here, and the entry,
            # left "claimed", keeps its campaign from being counted finished.
            logger.exception("sent but not recorded: %s ses=%s", who, message_id)
        else:
            logger.info("sent: %s ses=%s", who, message_id)

    @property
    def touched(self) -> bool:
        """True once this sender has claimed for a campaign it has not checked since."""
        return bool(self._touched)

    def finish_touched(self, time_left: Callable[[], float] | None = None) -> list[str]:
        """Mark finished every campaign claimed for since the last check whose recipients all
        have outcomes (OutOfTimeError if counting would outlast the invocation)."""
        touched, self._touched = sorted(self._touched), set()
        return [c for c in touched if self._campaigns.try_finish(c, time_left)]
