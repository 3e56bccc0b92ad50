"""The sender: one queue record in, at most one email out, its outcome in the ledger.

For each recipient it re-reads the subscriber (they may have left, or been suppressed, since the
planner ran), claims the ledger entry, renders from the cached compiled variant, and sends the
raw MIME through SES v2, paced by a token bucket and retried with backoff when throttled.
Anything that still fails raises, so the record is reported failed and SQS delivers it again;
after the queue's last attempt the entry is marked failed and the message moves to the DLQ.

A batch's records are sent at once by the sender's threads, which share its token bucket. No
write on the send path touches an item another send writes (keys.py), and once the queue has
nothing waiting the sender checks, once, whether its campaigns have finished.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from threading import Lock
from typing import Any

from mailer.aws.ses import SesAdapter
from mailer.catalogue.schema import Resource, Vocabulary
from mailer.emails.mime import Identity, MessageTemplate
from mailer.emails.render import EmailRenderer, RenderedEmail
from mailer.emails.views import greeting
from mailer.errors import (
    ConflictError,
    EmailRenderError,
    MailerError,
    OutOfTimeError,
    TemplateContextError,
    UnknownSendOutcomeError,
)
from mailer.subscribers.links import Links
from mailer.subscribers.model import Status, Subscriber
from mailer.subscribers.store import SubscriberStore

from .ledger import Claim, Done, Ledger
from .model import Campaign, Control, SendOutcome
from .pacing import TokenBucket
from .queue import BatchReport, MalformedJobError, SendJob
from .store import CampaignStore
from .variants import CampaignContent, Variant
from .workers import Concurrently, in_turn

logger = logging.getLogger(__name__)

# These mirror infra/template.yaml (a test keeps them in step): the send queue's visibility
# timeout and redrive limit, and the sender function's timeout.
VISIBILITY_TIMEOUT = 180
SENDER_TIMEOUT = 30
MAX_RECEIVES = 5
# A claim older than this belongs to a sender that is dead: Lambda stops a sender after
# SENDER_TIMEOUT, and the record comes back VISIBILITY_TIMEOUT after it was received, so by the
# time a redelivery arrives the lease has always run out.
CLAIM_LEASE = VISIBILITY_TIMEOUT - SENDER_TIMEOUT
# A pause or cancel reaches every warm sender within this many seconds.
CONTROL_TTL = 2.0
START_MARGIN = 5.0  # seconds: with less time left, leave the record for the next invocation
# The template's EmailVariantFailedMetricFilter counts lines with this phrase (a test checks).
VARIANT_FAILED_LOG = "email variant could not be rendered"
CONTENT_CACHE = 8  # campaigns whose content a warm sender keeps
MESSAGE_TEMPLATES = 512  # variants' message templates a warm sender keeps (as the renderer)


@dataclass(frozen=True)
class SenderConfig:
    """The settings a sender needs, and nothing else."""

    sender: Identity
    site_url: str
    send_empty: bool = False  # a nothing-new note to those with nothing relevant (else skip)


@dataclass(frozen=True)
class _NotSent:
    outcome: SendOutcome
    reason: str


@dataclass(frozen=True)
class Result:
    """What became of one record."""

    campaign_id: str
    outcome: str  # a SendOutcome value, or "duplicate" when the ledger already had a final entry
    ses_message_id: str = ""


class Sender:
    """Sends campaign emails one recipient at a time; safe to run any record twice."""

    def __init__(
        self,
        *,
        config: SenderConfig,
        campaigns: CampaignStore,
        ledger: Ledger,
        subscribers: SubscriberStore,
        load_resources: Callable[[], Sequence[Resource]],
        vocabulary: Vocabulary,
        renderer: EmailRenderer,
        links: Links,
        ses: SesAdapter,
        bucket: TokenBucket,
        clock: Callable[[], float] = time.time,
        concurrently: Concurrently[Result | None] = in_turn,
        queue_drained: Callable[[], bool] = lambda: True,
    ) -> None:
        """`concurrently` runs a batch's records (a thread pool in Lambda); `queue_drained` says
        whether the send queue has nothing waiting, so finishing is checked only then."""
        self._config = config
        self._campaigns = campaigns
        self._ledger = ledger
        self._subscribers = subscribers
        self._load_resources = load_resources
        self._vocabulary = vocabulary
        self._renderer = renderer
        self._links = links
        self._ses = ses
        self.bucket = bucket
        self._clock = clock
        self._concurrently = concurrently
        self._queue_drained = queue_drained
        self._content: OrderedDict[str, CampaignContent] = OrderedDict()
        self._content_lock = Lock()
        self._templates: OrderedDict[str, MessageTemplate] = OrderedDict()
        self._touched: set[str] = set()
        self._controls: dict[str, tuple[float, str]] = {}  # campaign -> (read at, control)
        self._failed_variants: set[tuple[str, str]] = set()  # (campaign, audience) alarmed
        self._followed_campaigns: dict[str, Campaign] = {}  # races only read a record twice

    def process_batch(
        self, event: Any, time_left: Callable[[], float] | None = None
    ) -> BatchReport:
        """Send a batch of SQS records (a Lambda event, or a list of records the CLI received)
        at once, then, if the queue has nothing waiting, mark finished the campaigns whose
        recipients all have an outcome.

        Failed records come back as None results, for SQS to deliver again; anything that is
        not an SQS event is logged and answered with no failures, since retrying cannot help.
        Nothing after the sends can fail the batch: its emails are out.
        """
        records = event.get("Records") if isinstance(event, Mapping) else event
        if not isinstance(records, list) or not records:
            logger.error("not an SQS event: nothing to send or retry")
            return BatchReport()
        outcomes = self._concurrently(
            [lambda record=record: self.process_record(record, time_left) for record in records]
        )
        results: list[tuple[Mapping[str, Any], object | None]] = []
        for record, outcome in zip(records, outcomes, strict=True):
            if isinstance(outcome, Exception):
                logger.warning("record %s failed: %r", record.get("messageId", "?"), outcome)
                results.append((record, None))
            else:
                results.append((record, outcome))
        self._finish_if_drained(time_left)
        return BatchReport(results)

    def _finish_if_drained(self, time_left: Callable[[], float] | None) -> None:
        """Check the touched campaigns once the queue has nothing waiting (the last batches)."""
        try:
            if self._touched and self._queue_drained():
                self.finish_campaigns(time_left)
        except MailerError:
            # Finishing is bookkeeping: the next drained batch, or `mailer digest status`,
            # checks again. Failing the batch would send its emails twice.
            logger.exception("could not check whether campaigns finished")

    def process_record(
        self, record: Mapping[str, Any], time_left: Callable[[], float] | None = None
    ) -> Result:
        """Handle one SQS record (a Lambda event record, or one the CLI received)."""
        try:
            job = SendJob.from_body(record.get("body", ""))
        except MalformedJobError as exc:
            # Failing the record lets SQS retry it up to the redrive limit, then park it in
            # the dead-letter queue for a person: bounded, never a crash loop.
            logger.error("malformed record %s: %s", record.get("messageId", "?"), exc)
            raise
        attributes = record.get("attributes") or {}
        receive_count = int(attributes.get("ApproximateReceiveCount") or 1)
        return self.send(job, receive_count=receive_count, time_left=time_left)

    def send(
        self,
        job: SendJob,
        *,
        receive_count: int = 1,
        time_left: Callable[[], float] | None = None,
    ) -> Result:
        """Send one job unless the ledger says it is done; raise to have SQS retry it."""
        if time_left is not None and time_left() < START_MARGIN:
            raise OutOfTimeError("too little time left to start a send")
        content = self.content(job.campaign_id)
        campaign = content.campaign
        control = self._control(campaign.id)
        if control == Control.PAUSED and self._ledger.park(
            campaign, job.subscriber_key, job.audience
        ):
            logger.info("parked while paused: %s %s", campaign.id, job.subscriber_key[:12])
            return Result(campaign.id, "parked")
        claimed = self._ledger.claim(campaign, job.subscriber_key, job.audience)
        # Even a duplicate may be the campaign's last record (its first sender died after
        # recording the outcome), so the finish check covers it too.
        self._touched.add(campaign.id)
        if isinstance(claimed, Done):
            logger.info("already %s: %s %s", claimed.state, campaign.id, job.subscriber_key[:12])
            if claimed.audience and claimed.audience != job.audience:
                self._ledger.count_moved(campaign, job.subscriber_key, job.audience)
            return Result(campaign.id, "duplicate", claimed.ses_message_id)
        try:
            decision = (
                _NotSent(SendOutcome.SKIPPED, "campaign cancelled")
                if control == Control.CANCELLED
                else self._decide(content, job.subscriber_key)
            )
            if isinstance(decision, _NotSent):
                outcome, reason = decision.outcome, decision.reason
                self._ledger.finish(claimed, outcome, reason=reason)
                logger.info(
                    "%s (%s): %s %s", outcome, reason, campaign.id, claimed.subscriber_key[:12]
                )
                return Result(campaign.id, outcome.value)
            subscriber, variant = decision
            try:
                message_id = self._deliver(campaign, subscriber, variant, time_left)
            except (EmailRenderError, TemplateContextError) as exc:
                return self._variant_failed(claimed, campaign, subscriber.audience, exc)
        except UnknownSendOutcomeError:
            # The one window: leave the claim standing; after the lease a retry sends again.
            logger.error("send outcome unknown: %s %s", campaign.id, claimed.subscriber_key[:12])
            raise
        except Exception as exc:
            self._give_back(claimed, receive_count, exc)
            raise
        self._record_sent(claimed, campaign, message_id, time_left)
        return Result(campaign.id, SendOutcome.SENT.value, message_id)

    def _control(self, campaign_id: str) -> str:
        """The campaign's pause or cancel, read at most every CONTROL_TTL seconds."""
        now = self._clock()
        cached = self._controls.get(campaign_id)
        if cached is None or now - cached[0] >= CONTROL_TTL:
            cached = (now, self._campaigns.control(campaign_id))
            self._controls[campaign_id] = cached
        return cached[1]

    def finish_campaigns(self, time_left: Callable[[], float] | None = None) -> list[str]:
        """Mark finished every campaign this sender touched whose recipients all have outcomes
        (OutOfTimeError if counting would outlast the invocation)."""
        touched, self._touched = sorted(self._touched), set()
        return [c for c in touched if self._campaigns.try_finish(c, time_left)]

    def content(self, campaign_id: str) -> CampaignContent:
        """What a campaign says to each group, read once per process and kept for later records."""
        with self._content_lock:
            content = self._content.get(campaign_id)
        if content is not None:
            return content
        # Read outside the lock (no thread waits on another's DynamoDB call); threads that
        # miss together each read once, and the first to finish is kept.
        campaign = self._campaigns.get(campaign_id)
        if campaign is None:
            logger.error("a record names campaign %r, which has no record", campaign_id)
            raise MalformedJobError(f"no campaign {campaign_id!r}")
        content = self.variants(campaign, self._load_resources())
        with self._content_lock:
            content = self._content.setdefault(campaign_id, content)
            if len(self._content) > CONTENT_CACHE:
                self._content.popitem(last=False)
        return content

    def variants(self, campaign: Campaign, resources: Sequence[Resource]) -> CampaignContent:
        """What `campaign` says to each group, chosen from `resources` (preview uses this too)."""
        return CampaignContent(
            campaign,
            resources,
            self._vocabulary,
            self._config.site_url,
            send_empty=self._config.send_empty,
        )

    def _decide(self, content: CampaignContent, key: str) -> _NotSent | tuple[Subscriber, Variant]:
        """Who this subscriber is now, and what (if anything) to send them."""
        subscriber = self._subscribers.get(key)
        if subscriber is None or subscriber.status is not Status.CONFIRMED:
            return _NotSent(SendOutcome.SKIPPED, "not subscribed")
        if self._subscribers.is_suppressed(key):
            return _NotSent(SendOutcome.SUPPRESSED, "suppressed")
        followed = self._followed(content.campaign.follows)
        if followed is not None and self._ledger.reached(followed, key):
            return _NotSent(SendOutcome.SKIPPED, "had it from the cancelled campaign")
        if not subscriber.wants(content.campaign.kind.value):
            # Their choice (digest, announcements or both), read now: a change made after
            # the planner queued them still counts.
            return _NotSent(SendOutcome.SKIPPED, f"chose not to get {content.campaign.kind}s")
        variant = content.for_group(subscriber.audience, subscriber.topics)
        if variant is None:
            return _NotSent(SendOutcome.SKIPPED, "nothing relevant")
        return subscriber, variant

    def _followed(self, campaign_id: str) -> Campaign | None:
        """The cancelled campaign a copy carries on (its record read once per process)."""
        if not campaign_id:
            return None
        followed = self._followed_campaigns.get(campaign_id)
        if followed is None:
            followed = self._campaigns.get(campaign_id)
            if followed is None:
                logger.error("a campaign follows %r, which has no record", campaign_id)
                return None
            self._followed_campaigns[campaign_id] = followed
        return followed

    def compose(
        self, subscriber: Subscriber, variant: Variant, links: Links | None = None
    ) -> tuple[RenderedEmail, bytes]:
        """One subscriber's email, rendered and built as raw MIME (send and preview both use
        this; a preview passes links that lead nowhere)."""
        links = links or self._links
        unsubscribe_url = links.unsubscribe(subscriber)
        recipient = {
            "greeting": greeting(subscriber.name),
            "manage_url": links.manage(subscriber),
            "unsubscribe_url": unsubscribe_url,
        }
        email = self._renderer.render(
            variant.template, variant.context, recipient, variant_key=variant.key
        )
        raw = self._template(email.subject).fill(
            email,
            to=subscriber.email,
            list_unsubscribe_url=unsubscribe_url,
            date=dt.datetime.fromtimestamp(self._clock(), dt.UTC),
        )
        return email, raw

    def _template(self, subject: str) -> MessageTemplate:
        """The message template for a variant's subject, built on first use and kept."""
        with self._content_lock:
            template = self._templates.get(subject)
            if template is None:
                template = MessageTemplate(
                    subject=subject,
                    sender=self._config.sender.address,
                    sender_name=self._config.sender.name,
                )
                self._templates[subject] = template
                if len(self._templates) > MESSAGE_TEMPLATES:
                    self._templates.popitem(last=False)
            else:
                self._templates.move_to_end(subject)
            return template

    def _deliver(
        self,
        campaign: Campaign,
        subscriber: Subscriber,
        variant: Variant,
        time_left: Callable[[], float] | None,
    ) -> str:
        """Compose and send one message, paced; return SES's message id."""
        _, raw = self.compose(subscriber, variant)
        return self._ses.send_raw(
            raw,
            to=subscriber.email,
            tags={"campaign": campaign.tag, "audience": subscriber.audience},
            pace=self.bucket,
            time_left=None if time_left is None else (lambda: time_left() - START_MARGIN),
        )

    def _variant_failed(
        self, claim: Claim, campaign: Campaign, audience: str, exc: MailerError
    ) -> Result:
        """A group's email cannot be made: the same content fails every time, so record this
        recipient failed at once (no retry, no dead letter per recipient) and alarm, once per
        campaign and group in this process; every other group's email goes on."""
        key = (campaign.id, audience)
        if key not in self._failed_variants:
            self._failed_variants.add(key)
            logger.error("%s: %s %s: %s", VARIANT_FAILED_LOG, *key, exc)
        self._ledger.finish(claim, SendOutcome.FAILED, reason=f"email not made: {exc}"[:300])
        return Result(campaign.id, SendOutcome.FAILED.value)

    def _give_back(self, claim: Claim, receive_count: int, exc: Exception) -> None:
        """SES did not take the message: free the claim, or on the last attempt mark it failed."""
        try:
            if receive_count >= MAX_RECEIVES:
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

    def _record_sent(
        self,
        claim: Claim,
        campaign: Campaign,
        message_id: str,
        time_left: Callable[[], float] | None,
    ) -> None:
        """Make the entry final; SES has accepted the message, so never give the record back."""
        try:
            self._ledger.record_sent(claim, message_id, time_left)
        except ConflictError:
            logger.warning("lease lost after sending %s %s", campaign.id, claim.subscriber_key[:12])
        except MailerError:
            # Reporting the record failed would send the email again on redelivery. The email
            # is out; only a throttle that outlasts the invocation gets here, and the entry,
            # left "claimed", keeps its campaign from being counted finished.
            logger.exception(
                "sent but not recorded: %s %s ses=%s",
                campaign.id,
                claim.subscriber_key[:12],
                message_id,
            )
        else:
            logger.info("sent: %s %s ses=%s", campaign.id, claim.subscriber_key[:12], message_id)
