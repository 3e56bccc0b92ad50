"""The sender: one queue record in, at most one email out, its outcome in the ledger.

For each recipient the campaign's book re-reads the subscriber (they may have left, or been
suppressed, since the planner ran) and claims the ledger entry; the composer builds the email
from the campaign's cached variant; the messenger sends the raw MIME through SES v2, paced by a
token bucket and retried while throttled. Anything that still fails raises, so the record is
reported failed and SQS delivers it again; after the queue's last attempt the entry is marked
failed and the message moves to the DLQ.

A batch's records are sent at once by the sender's threads, which share one messenger. No write
on the send path touches an item another send writes (keys.py), and once the queue has nothing
waiting the sender checks, once, whether its campaigns have finished.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from mailer.errors import (
    EmailRenderError,
    MailerError,
    OutOfTimeError,
    TemplateContextError,
    UnknownSendOutcomeError,
)
from mailer.subscribers.model import Subscriber

from .book import CampaignBook, NotSent
from .composer import Composer
from .engine import EngineConfig
from .ledger import Claim, Done
from .messenger import CampaignHeldError, Messenger
from .model import Campaign, Control, SendOutcome
from .queue import BatchReport, MalformedJobError, SendJob
from .variants import Variant
from .workers import Concurrently, in_turn

logger = logging.getLogger(__name__)

# The template's EmailVariantFailedMetricFilter counts lines with this phrase (a test checks).
VARIANT_FAILED_LOG = "email variant could not be rendered"


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
        config: EngineConfig,
        *,
        book: CampaignBook,
        composer: Composer,
        messenger: Messenger,
        concurrently: Concurrently[Result | None] = in_turn,
        queue_drained: Callable[[], bool] = lambda: True,
    ) -> None:
        """`concurrently` runs a batch's records (a thread pool in Lambda); `queue_drained` says
        whether the send queue has nothing waiting, so finishing is checked only then."""
        self._config = config
        self.book = book
        self.composer = composer
        self.messenger = messenger
        self._concurrently = concurrently
        self._queue_drained = queue_drained
        self._failed_variants: set[tuple[str, str]] = set()  # (campaign, audience) alarmed

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
        self.book.prepare(_campaigns_named(records))
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
            if self.book.touched and self._queue_drained():
                self.book.finish_touched(time_left)
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
        if time_left is not None and time_left() < self._config.start_margin:
            raise OutOfTimeError("too little time left to start a send")
        campaign = self.book.campaign(job.campaign_id)
        if campaign is None:
            logger.error("a record names campaign %r, which has no record", job.campaign_id)
            raise MalformedJobError(f"no campaign {job.campaign_id!r}")
        key = job.subscriber_key
        control = self.book.control(campaign.id)
        if control == Control.PAUSED and self.book.park(campaign, key, job.audience):
            logger.info("parked while paused: %s %s", campaign.id, key[:12])
            return Result(campaign.id, "parked")
        claimed = self.book.claim(campaign, key, job.audience)
        if isinstance(claimed, Done):
            logger.info("already %s: %s %s", claimed.state, campaign.id, key[:12])
            return Result(campaign.id, "duplicate", claimed.ses_message_id)
        try:
            decision = (
                NotSent(SendOutcome.SKIPPED, "campaign cancelled")
                if control == Control.CANCELLED
                else self._decide(campaign, key)
            )
            if isinstance(decision, NotSent):
                self.book.record(claimed, decision.outcome, decision.reason)
                outcome, reason = decision.outcome, decision.reason
                logger.info("%s (%s): %s %s", outcome, reason, campaign.id, key[:12])
                return Result(campaign.id, outcome.value)
            subscriber, variant = decision
            try:
                _, raw = self.composer.compose(subscriber, variant)
            except (EmailRenderError, TemplateContextError) as exc:
                return self._variant_failed(claimed, campaign, subscriber.audience, exc)
            message_id = self.messenger.send(
                raw,
                to=subscriber.email,
                campaign=campaign,
                audience=subscriber.audience,
                control=lambda: self.book.control(campaign.id),
                time_left=time_left,
            )
        except CampaignHeldError as held:
            return self._held(claimed, campaign, held)
        except UnknownSendOutcomeError:
            # The one window: leave the claim standing; after the lease a retry sends again.
            logger.error("send outcome unknown: %s %s", campaign.id, key[:12])
            raise
        except Exception as exc:
            self.book.give_back(claimed, receive_count, exc)
            raise
        self.book.record_sent(claimed, message_id, time_left)
        return Result(campaign.id, SendOutcome.SENT.value, message_id)

    def _held(self, claim: Claim, campaign: Campaign, held: CampaignHeldError) -> Result:
        """Staff stopped the campaign while this email waited for its turn, so it was not sent:
        cancelled, it is skipped as the queue's other records are; paused, it is parked. If the
        campaign was resumed in between, the record fails and SQS delivers it again."""
        key = claim.subscriber_key
        if held.control == Control.CANCELLED:
            self.book.record(claim, SendOutcome.SKIPPED, "campaign cancelled")
            logger.info("skipped (cancelled before its turn): %s %s", campaign.id, key[:12])
            return Result(campaign.id, SendOutcome.SKIPPED.value)
        self.book.release(claim)
        if not self.book.park(campaign, key, claim.audience):
            raise held  # resumed meanwhile: delivered again, it sends
        logger.info("parked (paused before its turn): %s %s", campaign.id, key[:12])
        return Result(campaign.id, "parked")

    def _decide(self, campaign: Campaign, key: str) -> NotSent | tuple[Subscriber, Variant]:
        """Who this subscriber is now, and which of the campaign's emails (if any) is theirs."""
        subscriber = self.book.recipient(campaign, key)
        if isinstance(subscriber, NotSent):
            return subscriber
        variant = self.composer.content(campaign).for_group(subscriber.audience, subscriber.topics)
        if variant is None:
            return NotSent(SendOutcome.SKIPPED, "nothing relevant")
        return subscriber, variant

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
        self.book.record(claim, SendOutcome.FAILED, f"email not made: {exc}"[:300])
        return Result(campaign.id, SendOutcome.FAILED.value)


def _campaigns_named(records: list[Any]) -> list[str]:
    """The campaigns a batch's well-formed records name (a malformed one is left to fail as
    its record, so that SQS retries it and then parks it)."""
    named = []
    for record in records:
        try:
            named.append(SendJob.from_body(record.get("body", "")).campaign_id)
        except (MalformedJobError, AttributeError):
            continue
    return named
