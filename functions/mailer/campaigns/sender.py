"""The sender: one queue record in, at most one email out, its outcome in the ledger.

For each recipient it re-reads the subscriber (they may have left, or been suppressed, since the
planner ran), claims the ledger entry, renders from the cached compiled variant, and sends the
raw MIME through SES v2, paced by a token bucket and retried with backoff when throttled.
Anything that still fails raises, so the record is reported failed and SQS delivers it again;
after the queue's last attempt the entry is marked failed and the message moves to the DLQ.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError

from mailer.aws.clients import aws_errors
from mailer.catalogue.schema import Resource, Vocabulary
from mailer.emails.mime import build_message
from mailer.emails.render import EmailRenderer
from mailer.emails.views import greeting
from mailer.errors import ConflictError, MailerError
from mailer.settings import Settings
from mailer.subscribers.links import Links
from mailer.subscribers.store import Status, Subscriber, SubscriberStore

from .ledger import Claim, Done, Ledger
from .model import Campaign, CampaignStore, Outcome
from .pacing import Backoff, OutOfTimeError, TokenBucket
from .queue import MalformedJobError, SendJob
from .variants import CampaignContent, Variant

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
START_MARGIN = 5.0  # seconds: with less time left, leave the record for the next invocation


class UnknownSendOutcomeError(MailerError):
    """The send_email call got no answer: SES may or may not have accepted the message."""


@dataclass(frozen=True)
class _NotSent:
    outcome: Outcome
    reason: str


@dataclass(frozen=True)
class Result:
    """What became of one record."""

    campaign_id: str
    outcome: str  # an Outcome value, or "duplicate" when the ledger already had a final entry
    ses_message_id: str = ""


class Sender:
    """Sends campaign emails one recipient at a time; safe to run any record twice."""

    def __init__(
        self,
        *,
        settings: Settings,
        campaigns: CampaignStore,
        ledger: Ledger,
        subscribers: SubscriberStore,
        load_resources: Callable[[], Sequence[Resource]],
        vocabulary: Vocabulary,
        renderer: EmailRenderer,
        links: Links,
        sesv2: Any,
        bucket: TokenBucket,
        backoff: Backoff,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._settings = settings
        self._campaigns = campaigns
        self._ledger = ledger
        self._subscribers = subscribers
        self._load_resources = load_resources
        self._vocabulary = vocabulary
        self._renderer = renderer
        self._links = links
        self._ses = sesv2
        self._bucket = bucket
        self._backoff = backoff
        self._clock = clock
        self._content: OrderedDict[str, CampaignContent] = OrderedDict()
        self._touched: set[str] = set()

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
        content = self._content_for(job.campaign_id)
        campaign = content.campaign
        claimed = self._ledger.claim(campaign, job.subscriber_key, job.audience)
        if isinstance(claimed, Done):
            logger.info("already %s: %s %s", claimed.state, campaign.id, job.subscriber_key[:12])
            if claimed.audience and claimed.audience != job.audience:
                self._ledger.count_moved(campaign, job.subscriber_key, job.audience)
                self._touched.add(campaign.id)
            return Result(campaign.id, "duplicate", claimed.ses_message_id)
        self._touched.add(campaign.id)
        try:
            decision = self._decide(content, job.subscriber_key)
            if isinstance(decision, _NotSent):
                outcome, reason = decision.outcome, decision.reason
                self._ledger.finish(claimed, outcome, reason=reason)
                logger.info(
                    "%s (%s): %s %s", outcome, reason, campaign.id, claimed.subscriber_key[:12]
                )
                return Result(campaign.id, outcome.value)
            subscriber, variant = decision
            message_id = self._deliver(campaign, subscriber, variant, time_left)
        except UnknownSendOutcomeError:
            # The one window: leave the claim standing; after the lease a retry sends again.
            logger.error("send outcome unknown: %s %s", campaign.id, claimed.subscriber_key[:12])
            raise
        except Exception as exc:
            self._give_back(claimed, receive_count, exc)
            raise
        self._record_sent(claimed, campaign, message_id)
        return Result(campaign.id, Outcome.SENT.value, message_id)

    def finish_campaigns(self) -> list[str]:
        """Mark finished every campaign this sender touched whose recipients all have outcomes."""
        finished = [c for c in sorted(self._touched) if self._campaigns.try_finish(c)]
        self._touched.clear()
        return finished

    def _content_for(self, campaign_id: str) -> CampaignContent:
        """The campaign and its content, read once per process and kept for the next records."""
        content = self._content.get(campaign_id)
        if content is None:
            campaign = self._campaigns.get(campaign_id)
            if campaign is None:
                logger.error("a record names campaign %r, which has no record", campaign_id)
                raise MalformedJobError(f"no campaign {campaign_id!r}")
            content = CampaignContent(
                campaign,
                self._load_resources(),
                self._vocabulary,
                self._settings.site_url,
                send_empty=self._settings.digest_send_empty,
            )
            self._content[campaign_id] = content
            if len(self._content) > 8:
                self._content.popitem(last=False)
        return content

    def _decide(self, content: CampaignContent, key: str) -> _NotSent | tuple[Subscriber, Variant]:
        """Who this subscriber is now, and what (if anything) to send them."""
        subscriber = self._subscribers.get(key)
        if subscriber is None or subscriber.status is not Status.CONFIRMED:
            return _NotSent(Outcome.SKIPPED, "not subscribed")
        if self._subscribers.is_suppressed(key):
            return _NotSent(Outcome.SUPPRESSED, "suppressed")
        variant = content.for_group(subscriber.audience, subscriber.topics)
        if variant is None:
            return _NotSent(Outcome.SKIPPED, "nothing relevant")
        return subscriber, variant

    def _deliver(
        self,
        campaign: Campaign,
        subscriber: Subscriber,
        variant: Variant,
        time_left: Callable[[], float] | None,
    ) -> str:
        """Render, build and send one message; return SES's message id."""
        unsubscribe_url = self._links.unsubscribe(subscriber.key)
        recipient = {
            "greeting": greeting(subscriber.name),
            "manage_url": self._links.manage(subscriber.key),
            "unsubscribe_url": unsubscribe_url,
        }
        email = self._renderer.render(
            variant.template, variant.context, recipient, variant_key=variant.key
        )
        message = build_message(
            email,
            sender=self._settings.sender_address,
            sender_name=self._settings.organisation_name,
            to=subscriber.email,
            list_unsubscribe_url=unsubscribe_url,
            date=dt.datetime.fromtimestamp(self._clock(), dt.UTC),
        )
        request: dict[str, Any] = {
            "FromEmailAddress": self._settings.sender_address,
            "Destination": {"ToAddresses": [subscriber.email]},
            "Content": {"Raw": {"Data": message.as_bytes()}},
            "EmailTags": [
                {"Name": "campaign", "Value": campaign.tag},
                {"Name": "audience", "Value": subscriber.audience},
            ],
        }
        if self._settings.configuration_set:
            request["ConfigurationSetName"] = self._settings.configuration_set
        return self._backoff.call(
            lambda: self._send_email(request),
            before_each=self._bucket.acquire,
            time_left=None if time_left is None else (lambda: time_left() - START_MARGIN),
        )

    def _send_email(self, request: dict[str, Any]) -> str:
        """One SES call: ThrottlingError to back off, UnknownSendOutcomeError if no answer."""
        with aws_errors("sending an email"):
            try:
                return self._ses.send_email(**request)["MessageId"]
            except BotoCoreError as exc:  # no HTTP answer: SES may have accepted it
                # (botocore's own retries, set in aws.py, may already have re-sent it.)
                raise UnknownSendOutcomeError(f"sending an email: {exc}") from exc

    def _give_back(self, claim: Claim, receive_count: int, exc: Exception) -> None:
        """SES did not take the message: free the claim, or on the last attempt mark it failed."""
        try:
            if receive_count >= MAX_RECEIVES:
                reason = f"{type(exc).__name__}: {exc}"[:300]
                self._ledger.finish(claim, Outcome.FAILED, reason=reason)
                logger.error(
                    "failed for good, to the DLQ: %s (%s)", claim.subscriber_key[:12], reason
                )
            else:
                self._ledger.release(claim)
                logger.warning("will retry %s: %s", claim.subscriber_key[:12], exc)
        except MailerError:
            # The claim's lease runs out on its own; the record is retried either way.
            logger.exception("could not update the ledger after a failed send")

    def _record_sent(self, claim: Claim, campaign: Campaign, message_id: str) -> None:
        """Make the entry final; SES has accepted the message, so never give the record back."""
        try:
            self._ledger.finish(claim, Outcome.SENT, ses_message_id=message_id)
        except ConflictError:
            logger.warning("lease lost after sending %s %s", campaign.id, claim.subscriber_key[:12])
        except MailerError:
            # Reporting the record failed would send the email again on redelivery. The email
            # is out; an entry left "claimed" shows up as in flight on the status page.
            logger.exception(
                "sent but not recorded: %s %s ses=%s",
                campaign.id,
                claim.subscriber_key[:12],
                message_id,
            )
        else:
            logger.info("sent: %s %s ses=%s", campaign.id, claim.subscriber_key[:12], message_id)
