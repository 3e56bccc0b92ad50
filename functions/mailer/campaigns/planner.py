"""The planner: creates a campaign's record once, then queues every confirmed subscriber of each
audience, page by page, checkpointing after each page so a stopped planner resumes where it was.

Safe to start twice: the campaign record is a conditional write (the first definition wins), a
finished plan is left alone, and a page queued twice (a planner stopped after queueing it but
before its checkpoint) only puts duplicate messages on the queue, which the ledger turns into
no-ops; its recipients are counted once, with the checkpoint.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from mailer.catalogue.schema import Resource, Vocabulary
from mailer.errors import ConflictError, MailerError
from mailer.subscribers.store import SubscriberStore

from .archive_store import ArchiveStore
from .keys import subscriber_of_parked_sk
from .model import Campaign, Control, Kind, Period, campaign_id
from .queue import ENQUEUE_BACKOFF, SendJob, enqueue
from .selection import Pick
from .snapshot import Snapshot
from .store import CampaignStore
from .variants import CampaignContent
from .workers import Concurrently, ThreadPool

logger = logging.getLogger(__name__)

# Subscribers per Query page and checkpoint. A page of the keys-plus-topics index is well
# under DynamoDB's 1 MB page limit, and 1,000 recipients go out as 100 SQS batch calls run
# ENQUEUE_THREADS at a time: a few hundred milliseconds between checkpoints.
PAGE_SIZE = 1000
ENQUEUE_THREADS = 16
TIME_MARGIN = 60.0  # seconds: with less left, stop cleanly rather than be killed mid-page


class PlanningIncompleteError(MailerError):
    """Time ran out; starting the planner again resumes from its checkpoints."""


@dataclass
class PlanReport:
    """What one run of the planner did."""

    campaign_id: str
    created: bool  # this run created the campaign record
    already_planned: bool = False  # an earlier run had queued everyone: nothing done
    enqueued: dict[str, int] = field(default_factory=dict)  # audience -> recipients this run

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready summary (the planner function's result)."""
        return {
            "campaign": self.campaign_id,
            "created": self.created,
            "already_planned": self.already_planned,
            "enqueued": self.enqueued,
        }


@dataclass(frozen=True)
class AudiencePlan:
    """A dry run's view of one audience."""

    audience: str
    highlights: list[Pick]  # what a subscriber interested in every topic would get
    recipients: int  # confirmed subscribers now
    relevant: int  # of those, how many have something relevant (the rest are skipped)


class Planner:
    """Plans digests and announcements onto the send queue."""

    def __init__(
        self,
        *,
        campaigns: CampaignStore,
        subscribers: SubscriberStore,
        sqs: Any,
        queue_url: str,
        vocabulary: Vocabulary,
        load_resources: Callable[[], Sequence[Resource]],
        page_size: int = PAGE_SIZE,
        sleep: Callable[[float], None] = time.sleep,
        concurrently: Concurrently[None] | None = None,
        archive: ArchiveStore | None = None,
    ) -> None:
        """`page_size` subscribers are queued per checkpoint; `sleep` waits between retries;
        `concurrently` runs a page's SQS batch calls (ENQUEUE_THREADS threads by default);
        `archive` keeps each group's email for the public archive when a campaign starts."""
        self._campaigns = campaigns
        self._subscribers = subscribers
        self._sqs = sqs
        self._queue_url = queue_url
        self._vocabulary = vocabulary
        self._load_resources = load_resources
        self._page_size = page_size
        self._enqueue_backoff = replace(ENQUEUE_BACKOFF, sleep=sleep)
        self._concurrently = concurrently or ThreadPool(ENQUEUE_THREADS)
        self._archive = archive

    # --- what to plan -----------------------------------------------------------------------

    def new_since(self, period: Period) -> tuple[dt.date, str]:
        """From which day a resource counts as new in this period's digest, and why.

        The previous digest took resources added before its own period began, but may have been
        frozen or run early (then anything added after that was not in it), or late (then what
        was added between the 1st and its run was cut off). So: from whichever came first, the
        day it was frozen (a draft approved days ahead), the day it started, or the 1st of its
        month. Skipped months are covered, since the latest digest that did run is the one
        used; with none recorded, the 1st of last month.
        """
        since, why, _ = self.digest_basis(period)
        return since, why

    def digest_basis(self, period: Period) -> tuple[dt.date, str, tuple[str, ...]]:
        """new_since's day and reason, and the ids the previous digest showed as new."""
        previous = self._campaigns.last_digest_before(period)
        if previous is None:
            return period.previous.start, "no earlier digest recorded", ()
        earlier, started = previous
        record = self._campaigns.get(campaign_id(Kind.DIGEST, earlier))
        frozen = record.snapshot.frozen_at if record and record.snapshot else ""
        days = [started.date(), earlier.start]
        if frozen:
            days.append(dt.datetime.fromisoformat(frozen).date())
        since = min(days)
        why = f"the {earlier} digest started {started.date().isoformat()}"
        if frozen and since < min(started.date(), earlier.start):
            why = f"the {earlier} digest was approved {since.isoformat()}"
        return since, why, record.new_ids if record else ()

    def digest(self, period: Period, subjects: Mapping[str, str] | None = None) -> Campaign:
        """The digest campaign for a period, every audience, with what counts as new in it,
        frozen from the catalogue as it is now (`subjects`: staff's, per audience).

        Resources added on the day the previous digest ran fall on both sides of `new_since`
        (dates have no time of day), so the ids that digest showed as new are excluded by name:
        every resource is new in exactly one digest.
        """
        since, _, already = self.digest_basis(period)
        resources = self._load_resources()
        new_ids = sorted(
            r.id for r in resources if since <= r.added < period.start and r.id not in already
        )
        return Campaign.digest(
            period,
            self._vocabulary.audiences,
            since,
            already,
            new_ids,
            snapshot=Snapshot.of(resources, subjects),
        )

    def announcement(
        self,
        resource_id: str,
        audiences: Iterable[str] | None = None,
        message: str = "",
        subjects: Mapping[str, str] | None = None,
        draft_id: str = "",
        notes: Mapping[str, str] | None = None,
    ) -> Campaign:
        """The announcement of a resource to its audiences (or a subset staff chose), the
        resource frozen as the catalogue has it now (`subjects`, `notes`: staff's)."""
        resource = next((r for r in self._load_resources() if r.id == resource_id), None)
        if resource is None:
            raise MailerError(f"no resource {resource_id!r} in the catalogue")
        chosen = list(resource.audiences if audiences is None else audiences)
        outside = [a for a in chosen if a not in resource.audiences]
        if outside or not chosen:
            raise MailerError(
                f"announce {resource_id!r} to some of: {', '.join(resource.audiences)}"
            )
        return Campaign.announcement(
            resource_id,
            chosen,
            message,
            snapshot=Snapshot.of([resource], subjects, notes=notes),
            draft_id=draft_id,
        )

    def campaign_for(self, event: Any) -> Campaign:
        """The campaign a planner event asks for; MailerError if the event makes no sense.

        {"kind": "digest", "scheduled_time": "2026-12-01T09:00:00Z"} is what the schedule sends
        (the month comes from the scheduled time, so a retry hours later plans the same month);
        {"kind": "campaign", "campaign_id": ...} is what the staff console sends once it has
        written the approved campaign's record (planned as stored, snapshot and all);
        {"kind": "digest", "period": "2026-12"} or {"kind": "announcement", "resource_id": ...,
        "audiences": [...], "message": ...} are for people.
        """
        if not isinstance(event, Mapping):
            raise MailerError("a planner event must be a JSON object")
        kind = event.get("kind")
        if kind == "campaign":
            stored = self._campaigns.get(str(event.get("campaign_id", "")))
            if stored is None:
                raise MailerError(f"no campaign {event.get('campaign_id')!r} to plan")
            return stored
        if kind == "announcement":
            audiences = event.get("audiences")
            if audiences is not None and not isinstance(audiences, list):
                raise MailerError("audiences must be a list")
            return self.announcement(
                str(event.get("resource_id", "")), audiences, str(event.get("message", ""))
            )
        if kind != "digest":
            raise MailerError(f"unknown campaign kind {kind!r}")
        if event.get("period"):
            return self.digest(Period.parse(str(event["period"])))
        try:
            # The 1st at 09:00 in London is the 1st in UTC too (08:00 or 09:00), so the UTC
            # date names the right month without needing time zone data at run time.
            when = dt.datetime.fromisoformat(str(event.get("scheduled_time")))
        except ValueError:
            raise MailerError("a digest event needs a period or a scheduled_time") from None
        when = when.astimezone(dt.UTC) if when.tzinfo else when
        return self.digest(Period(when.year, when.month))

    # --- planning ---------------------------------------------------------------------------

    def handle(self, event: Any, time_left: Callable[[], float] | None = None) -> dict[str, Any]:
        """Plan what a planner event asks for (the planner function's whole job).

        A malformed event is logged and answered "rejected": retrying it cannot help. Running
        out of time raises PlanningIncompleteError, so Lambda retries and the plan resumes.
        """
        if isinstance(event, Mapping) and event.get("kind") == "requeue":
            try:
                requeued = self.requeue_parked(str(event.get("campaign_id", "")), time_left)
            except PlanningIncompleteError:
                raise
            except MailerError as exc:
                logger.error("rejected a requeue event: %s", exc)
                return {"status": "rejected", "error": str(exc)}
            return {"status": "requeued", "campaign": event.get("campaign_id"), "jobs": requeued}
        try:
            campaign = self.campaign_for(event)
        except MailerError as exc:
            logger.error("rejected a planner event: %s", exc)
            return {"status": "rejected", "error": str(exc)}
        report = self.plan(campaign, time_left=time_left)
        return {"status": "planned", **report.to_json()}

    # --- pause, resume, cancel -----------------------------------------------------------

    def control(self, campaign_id: str, action: str, *, requeue: bool = True) -> bool:
        """Pause, resume or cancel a campaign still sending; False if it cannot be now.

        A pause takes effect at the senders within seconds: jobs that arrive meanwhile are
        parked in the ledger, not sent. Resume and cancel put every parked job back on the
        queue (here, or, with `requeue=False`, by whoever the caller hands it to: the staff
        console hands it to the planner function, since a big campaign's requeue outlasts a
        web request); after a cancel the senders record them (and any still queued) as
        skipped. Pressing resume or cancel again while parked jobs remain (an earlier requeue
        was cut off) is allowed: it requeues the rest.
        """
        campaign = self._campaigns.get(campaign_id)
        if campaign is None:
            raise MailerError(f"no campaign {campaign_id!r}")
        wanted = {"pause": Control.PAUSED, "cancel": Control.CANCELLED, "resume": None}
        if action not in wanted:
            raise MailerError(f"unknown action {action!r} (pause, resume or cancel)")
        changed = self._campaigns.set_control(campaign_id, wanted[action])
        if not changed and (
            action == "pause" or not self._unfinished_requeue(campaign, wanted[action])
        ):
            return False
        logger.info("%s: %s", action, campaign_id)
        if action != "pause" and requeue:
            self.requeue_parked(campaign_id)
        return True

    def _unfinished_requeue(self, campaign: Campaign, control: Control | None) -> bool:
        """True when the campaign already has this control but parked jobs remain."""
        status = self._campaigns.status(campaign.id)
        if status is None or status.finished_at or status.control != (control or ""):
            return False
        return bool(self._campaigns.parked_page(campaign, limit=1))

    def requeue_parked(self, campaign_id: str, time_left: Callable[[], float] | None = None) -> int:
        """Put parked jobs back on the queue page by page, forgetting each page once it is
        queued; return how many. Cut off (PlanningIncompleteError), a second run carries on
        with what is still parked; a job queued twice is harmless (the ledger lets one send)."""
        campaign = self._campaigns.get(campaign_id)
        if campaign is None:
            raise MailerError(f"no campaign {campaign_id!r}")
        requeued = 0
        while True:
            if time_left is not None and time_left() < TIME_MARGIN:
                raise PlanningIncompleteError(
                    f"requeued {requeued} parked job(s) of {campaign_id}; run again to resume"
                )
            parked = self._campaigns.parked_page(campaign, self._page_size)
            if not parked:
                return requeued
            jobs = [
                SendJob(campaign.id, subscriber_of_parked_sk(item["sk"]), item["audience"])
                for item in parked
            ]
            enqueue(
                self._sqs,
                self._queue_url,
                jobs,
                backoff=self._enqueue_backoff,
                concurrently=self._concurrently,
            )
            self._campaigns.forget_parked(parked)
            requeued += len(jobs)

    def plan(
        self,
        campaign: Campaign,
        *,
        time_left: Callable[[], float] | None = None,
        on_page: Callable[[str, int], None] | None = None,
    ) -> PlanReport:
        """Create the campaign record if new, then queue every confirmed subscriber once."""
        stored, created = self._campaigns.create(campaign)
        if self._archive is not None:
            # Before anyone is queued, so every email's "view in your browser" page exists;
            # a conditional write per group, so a second start (or a retry) changes nothing.
            self._archive.record(stored)
        report = PlanReport(stored.id, created)
        status = self._campaigns.status(stored.id)
        if status is not None and status.plan_state == "planned":
            report.already_planned = True
            self._campaigns.try_finish(stored.id)
            return report
        for audience in stored.audiences:
            report.enqueued[audience] = self._plan_audience(stored, audience, time_left, on_page)
        self._campaigns.mark_planned(stored)
        self._campaigns.try_finish(stored.id)
        logger.info("planned %s: %s", stored.id, report.enqueued)
        return report

    def _plan_audience(
        self,
        campaign: Campaign,
        audience: str,
        time_left: Callable[[], float] | None,
        on_page: Callable[[str, int], None] | None,
    ) -> int:
        """Queue one audience from its checkpoint on; return how many this run queued."""
        queued = 0
        checkpoint = self._campaigns.checkpoint(campaign, audience)
        while not checkpoint.done:
            if time_left is not None and time_left() < TIME_MARGIN:
                raise PlanningIncompleteError(
                    f"stopped in {audience} after {checkpoint.pages} page(s); run again to resume"
                )
            page = self._subscribers.confirmed_page(
                audience, checkpoint.next_start, self._page_size
            )
            jobs = [SendJob(campaign.id, s.key, audience) for s in page.subscribers]
            enqueue(
                self._sqs,
                self._queue_url,
                jobs,
                backoff=self._enqueue_backoff,
                concurrently=self._concurrently,
            )
            try:
                checkpoint = self._campaigns.advance(
                    campaign, checkpoint, page.next_start, len(jobs)
                )
            except ConflictError:
                # Another planner recorded this page first; carry on from where it is.
                checkpoint = self._campaigns.checkpoint(campaign, audience)
                continue
            queued += len(jobs)
            if on_page is not None:
                on_page(audience, len(jobs))
        return queued

    # --- dry run ----------------------------------------------------------------------------

    def dry_run(self, campaign: Campaign) -> Iterator[AudiencePlan]:
        """What planning would do, one audience at a time, without writing anything: how many
        confirmed subscribers each has, and how many of them the campaign has an email for."""
        content = CampaignContent(campaign, self._load_resources(), self._vocabulary, "")
        for audience in campaign.audiences:
            relevant_by_topics: dict[tuple[str, ...], bool] = {}
            recipients = relevant = 0
            start = None
            while True:
                page = self._subscribers.confirmed_page(audience, start, self._page_size)
                for subscriber in page.subscribers:
                    topics = tuple(sorted(subscriber.topics))
                    if topics not in relevant_by_topics:
                        variant = content.for_group(audience, topics)
                        relevant_by_topics[topics] = variant is not None
                    recipients += 1
                    relevant += relevant_by_topics[topics]
                if not page.next_start:
                    break
                start = page.next_start
            yield AudiencePlan(audience, content.picks(audience), recipients, relevant)
