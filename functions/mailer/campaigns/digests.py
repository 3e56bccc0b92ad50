"""The monthly digest as a draft: prepared by the schedule some days before the 1st, reviewed by
the senders, sent on the 1st exactly as approved (or, if no one approved it, as prepared or held,
as a setting says).

Each group's draft starts from the planner's choice (what is new since the last digest) and
keeps only staff's changes to it: the featured resources in the order staff saved, and the ones
they took out. So a resource added after the draft was prepared still joins it, and the draft
is never a stale copy of the catalogue. What a sender approves is frozen then (snapshot.py).

Nothing a member outside `senders` wrote reaches a subscriber until a sender approved it: such
resources are marked in the draft; a sender's approval freezes and reviews them; a draft sent
unapproved shows their last reviewed version, or leaves them out if there is none.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from mailer.catalogue.awareness import AwarenessDay, Occurrence
from mailer.catalogue.schema import Resource, Vocabulary
from mailer.catalogue.store import StoredResource
from mailer.catalogue.terms import ENGLAND_SCHOOLS, TermCalendar
from mailer.errors import ConflictError, MailerError

from .drafts import CHANGED_MEANWHILE, Draft, DraftState, DraftStore, StaleDraftError
from .model import Campaign, Kind, Period, campaign_id
from .planner import Planner, PlanReport
from .snapshot import Snapshot
from .store import CampaignStore

logger = logging.getLogger(__name__)

Unapproved = Literal["send", "hold"]  # what the 1st does with a draft no sender approved
SCHEDULE = "the schedule"  # who the audit and the draft name when the schedule acts


def digest_draft_id(period: Period) -> str:
    """The one draft of a month's digest ('digest202701'): letters and digits, like every id."""
    return f"digest{period.year:04d}{period.month:02d}"


# A month's digest has one id for people, its campaign's ('digest#2027-01': the key of its
# record, and what its SES tag and archive address are made from), draft and campaign alike.
# Its draft's key ('digest202701') is a draft id's letters and digits, as the console's
# addresses need; the CLI printed it for the draft before, so it is still understood.
_DIGEST_CAMPAIGN_ID = re.compile(r"^digest#(\d{4})-(\d{2})$")
_DIGEST_DRAFT_ID = re.compile(r"^digest(\d{4})(\d{2})$")


def _digest_period(typed: str, spelling: re.Pattern[str]) -> Period | None:
    match = spelling.match(typed)
    try:
        return Period.parse(f"{match[1]}-{match[2]}") if match else None
    except MailerError:  # digest#2026-13: no month, so no digest's id
        return None


def shown_id(draft: Draft) -> str:
    """The id people see for a draft: a month's digest's is its campaign's ('digest#2027-01'),
    an announcement's its own (which its campaign's id ends with)."""
    if draft.kind is Kind.DIGEST:
        return campaign_id(Kind.DIGEST, draft_period(draft))
    return draft.id


def draft_id_of(typed: str) -> str:
    """The key of the draft `typed` names: a month's digest's ('digest202701') from either
    spelling, 'digest#2027-01' or 'digest202701'; any other id is its own key."""
    period = _digest_period(typed, _DIGEST_CAMPAIGN_ID)
    return digest_draft_id(period) if period else typed


def campaign_id_of(typed: str) -> str:
    """The id of the campaign `typed` names: a month's digest's ('digest#2027-01') from either
    spelling, 'digest#2027-01' or 'digest202701'; any other id is its own."""
    period = _digest_period(typed, _DIGEST_DRAFT_ID)
    return campaign_id(Kind.DIGEST, period) if period else typed


def day_key(day: AwarenessDay) -> str:
    """How a draft's removed list names an awareness day staff took out ('day:<id>')."""
    return f"day:{day.id}"


def _frozen_day(occurrence: Occurrence) -> dict[str, str]:
    """An awareness day as a snapshot keeps it: what the email says, as it was approved."""
    day = occurrence.day
    return {"name": day.name, "on": occurrence.on.isoformat(), "line": day.line}


def draft_period(draft: Draft) -> Period:
    """The month a digest draft is for."""
    return Period.parse(draft.period)


@dataclass(frozen=True)
class Feature:
    """A resource a group's draft features, and what a sender should know about it."""

    resource: Resource
    stored: StoredResource
    chosen_by_staff: bool  # staff added it (the planner's choice did not include it)
    for_day: str = ""  # suggested for this awareness day ("Anti-Slavery Day, 18 October")


@dataclass(frozen=True)
class GroupDraft:
    """One group's part of a digest draft as it stands now."""

    audience: str
    featured: tuple[Feature, ...]
    removed: tuple[Resource, ...]
    addable: tuple[Resource, ...]  # the group's other resources, which staff may add
    days: tuple[Occurrence, ...] = ()  # the awareness days it features (terms.py), soonest first
    removed_days: tuple[Occurrence, ...] = ()  # the ones staff took out of this group's draft

    @property
    def featured_ids(self) -> tuple[str, ...]:
        """The featured resources' ids, in order."""
        return tuple(f.resource.id for f in self.featured)


@dataclass(frozen=True)
class DigestView:
    """A digest draft with the catalogue as it is now: every group's choice, and what waits
    for a sender's review."""

    draft: Draft
    period: Period
    since: dt.date
    why: str
    already_new: tuple[str, ...]
    groups: Mapping[str, GroupDraft]
    stored: Mapping[str, StoredResource]  # every resource not retired, by id

    @property
    def unreviewed(self) -> list[StoredResource]:
        """Featured resources added or changed by members outside senders, not yet reviewed."""
        ids = {i for g in self.groups.values() for i in g.featured_ids}
        return [s for i, s in sorted(self.stored.items()) if i in ids and s.unreviewed]


@dataclass(frozen=True)
class DigestStart:
    """What the 1st (or `mailer digest send`) did with the month's digest."""

    status: str  # "sent as approved", "sent as prepared", "resumed", "held", "discarded",
    # "scheduled" (a sender chose a later time)
    campaign: Campaign | None = None
    report: PlanReport | None = None


class DigestDrafts:
    """Monthly digest drafts, from preparation to the 1st."""

    def __init__(
        self,
        *,
        drafts: DraftStore,
        campaigns: CampaignStore,
        planner: Planner,
        catalogue: Callable[[], Iterable[StoredResource]],
        mark_reviewed: Callable[[str, int], bool],
        vocabulary: Vocabulary,
        notify: Callable[[str, str], None],
        clock: Callable[[], float],
        review_days: int = 7,
        unapproved: Unapproved = "send",
        awareness: Callable[[], Iterable[AwarenessDay]] = tuple,
        lead: dt.timedelta = dt.timedelta(weeks=6),
        terms: TermCalendar = ENGLAND_SCHOOLS,
    ) -> None:
        """`catalogue` reads every stored resource with its review state; `notify(subject,
        text)` tells the senders; `review_days` before the 1st the draft is prepared;
        `awareness` reads the awareness days, featured when they fall within `lead` of the 1st
        (for schools, those in the summer holiday before it starts: `terms`)."""
        self.drafts = drafts
        self._campaigns = campaigns
        self._planner = planner
        self._catalogue = catalogue
        self._mark_reviewed = mark_reviewed
        self._vocabulary = vocabulary
        self._notify = notify
        self._clock = clock
        self.review_days = review_days
        self.unapproved = unapproved
        self._awareness = awareness
        self._lead = lead
        self._terms = terms

    # --- preparing --------------------------------------------------------------------------

    def today(self) -> dt.date:
        """Today in UTC (the 1st at 09:00 London is the 1st in UTC too)."""
        return dt.datetime.fromtimestamp(self._clock(), dt.UTC).date()

    def next_period(self) -> Period:
        """The month whose digest goes out next."""
        today = self.today()
        return Period(today.year, today.month).next

    def prepares_on(self, period: Period) -> dt.date:
        """The day the schedule prepares this month's draft."""
        return period.start - dt.timedelta(days=self.review_days)

    def draft_for(self, period: Period) -> Draft:
        """The month's draft as stored, or as the schedule would prepare it (not stored: a
        page or a dry run that looks stores nothing)."""
        return self.drafts.get(digest_draft_id(period)) or Draft(
            id=digest_draft_id(period),
            kind=Kind.DIGEST,
            resource_id="",
            period=str(period),
            audiences=tuple(self._vocabulary.audiences),
        )

    def prepare(self, period: Period, member: str = SCHEDULE) -> tuple[Draft, bool]:
        """The month's draft, created once and the senders told (True), or as it is (False)."""
        draft, created = self.drafts.create_digest(
            digest_draft_id(period), str(period), self._vocabulary.audiences, member
        )
        if created:
            logger.info("prepared the %s digest draft", period)
            self._notify(
                f"The {period.label} digest is ready for review",
                f"The {period.label} digest draft is ready for a sender to review and approve"
                f" at /staff/drafts/{draft.id}. It goes out on {period.start:%-d %B %Y} "
                f"{self._if_unapproved()}",
            )
        return draft, created

    def _if_unapproved(self) -> str:
        if self.unapproved == "hold":
            return "once a sender approves it: until then it is held."
        return (
            "as approved; if no one approves it, as prepared, leaving out what no sender "
            "has reviewed."
        )

    def daily(self) -> dict[str, Any]:
        """The daily schedule: prepare next month's draft once its review window opens, and
        remind the senders of a digest held for approval."""
        done: dict[str, Any] = {"status": "nothing to do"}
        period = self.next_period()
        if self.today() >= self.prepares_on(period):
            draft, created = self.prepare(period)
            done = {"status": "prepared" if created else "ready", "draft": draft.id}
        this_month = Period(self.today().year, self.today().month)
        held = self.drafts.get(digest_draft_id(this_month))
        if self.unapproved == "hold" and held is not None and held.editable:
            self._notify(
                f"The {this_month.label} digest is still held",
                f"No sender has approved the {this_month.label} digest, so it has not been "
                f"sent. Review and approve it at /staff/drafts/{held.id}.",
            )
            done["held"] = held.id
        return done

    # --- what a draft says now --------------------------------------------------------------

    def view(self, draft: Draft) -> DigestView:
        """The draft with the catalogue as it is now: each group's featured resources (staff's
        order, then the planner's new ones staff have not seen), removed ones, addable ones."""
        period = draft_period(draft)
        since, why, already = self._planner.digest_basis(period)
        stored = {s.resource.id: s for s in self._catalogue() if not s.retired}
        days = list(self._awareness())
        groups = {}
        for audience in draft.audiences:
            theirs = {i: s.resource for i, s in stored.items() if audience in s.resource.audiences}
            chosen = sorted(
                (
                    r
                    for r in theirs.values()
                    if since <= r.added < period.start and r.id not in already
                ),
                key=lambda r: r.newest_first_key(),
                reverse=True,
            )
            saved = draft.order.get(audience, ())
            removed = set(draft.removed.get(audience, ()))
            coming = self._terms.days_within(days, period.start, self._lead, audience)
            kept_days = [o for o in coming if day_key(o.day) not in removed]
            # A day's suggested resources come first (after any order staff saved), then
            # the planner's new ones: teachers and faith leaders plan weeks ahead.
            suggested = {
                i: f"{o.day.name}, {o.on:%-d %B}"
                for o in reversed(kept_days)
                for i in o.day.resources
            }
            ids = [i for i in saved if i in theirs and i not in removed]
            for candidate in [*suggested, *(r.id for r in chosen)]:
                if candidate in theirs and candidate not in ids and candidate not in removed:
                    ids.append(candidate)
            planner_ids = {r.id for r in chosen} | set(suggested)
            groups[audience] = GroupDraft(
                audience,
                tuple(
                    Feature(theirs[i], stored[i], i not in planner_ids, suggested.get(i, ""))
                    for i in ids
                ),
                tuple(theirs[i] for i in sorted(removed) if i in theirs),
                tuple(
                    sorted(
                        (r for i, r in theirs.items() if i not in ids and i not in removed),
                        key=lambda r: r.title.lower(),
                    )
                ),
                tuple(kept_days),
                tuple(o for o in coming if day_key(o.day) in removed),
            )
        return DigestView(draft, period, since, why, already, groups, stored)

    def campaign_of(self, draft: Draft, *, as_prepared: bool = False) -> Campaign:
        """The campaign a draft describes: its frozen snapshot once approved; otherwise frozen
        now, from the catalogue as it is (what approving would freeze), or `as_prepared` (the
        1st with no approval): unreviewed words replaced by their reviewed version, or left
        out. Unreviewed resources the draft does not feature never appear as fillers."""
        period = draft_period(draft)
        if draft.snapshot is not None and not as_prepared:
            since, _, already = self._planner.digest_basis(period)
            return self._digest(draft, since, already, draft.snapshot)
        return self._freeze(self.view(draft), as_prepared=as_prepared)[0]

    def _freeze(
        self, view: DigestView, *, as_prepared: bool
    ) -> tuple[Campaign, list[StoredResource]]:
        """The campaign frozen from a view, and the unreviewed resources it shows as they are
        (a sender approving it reviews those)."""
        featured = {i for g in view.groups.values() for i in g.featured_ids}
        resources: list[Resource] = []
        shown_unreviewed: list[StoredResource] = []
        for resource_id, stored in view.stored.items():
            if stored.unreviewed is None:
                resources.append(stored.resource)
            elif resource_id in featured and not as_prepared:
                resources.append(stored.resource)
                shown_unreviewed.append(stored)
            elif stored.unreviewed.reviewed is not None:
                resources.append(stored.unreviewed.reviewed)
        present = {r.id for r in resources}
        snapshot = Snapshot.of(
            resources,
            view.draft.subjects,
            features={
                a: [i for i in g.featured_ids if i in present] for a, g in view.groups.items()
            },
            left_out={a: [r.id for r in g.removed] for a, g in view.groups.items()},
            frozen_at=dt.datetime.fromtimestamp(self._clock(), dt.UTC).isoformat(
                timespec="seconds"
            ),
            notes=view.draft.notes,
            days={a: [_frozen_day(o) for o in g.days] for a, g in view.groups.items() if g.days},
        )
        return self._digest(view.draft, view.since, view.already_new, snapshot), shown_unreviewed

    def _digest(
        self, draft: Draft, since: dt.date, already: tuple[str, ...], snapshot: Snapshot
    ) -> Campaign:
        new_ids = sorted({i for ids in snapshot.features.values() for i in ids})
        return Campaign.digest(
            draft_period(draft), draft.audiences, since, already, new_ids, snapshot=snapshot
        )

    # --- a sender's acts --------------------------------------------------------------------

    def save(
        self,
        draft: Draft,
        *,
        order: Mapping[str, Iterable[str]],
        removed: Mapping[str, Iterable[str]],
        subjects: Mapping[str, str],
        member: str,
        notes: Mapping[str, str] | None = None,
    ) -> Draft:
        """Store staff's choice per group and their notes (any member of staff)."""
        return self.drafts.save_digest(
            draft, order=order, removed=removed, subjects=subjects, member=member, notes=notes
        )

    def approve(self, draft: Draft, member: str) -> Draft:
        """Freeze the draft as it stands (a sender's act), reviewing the featured resources
        members outside senders wrote, as they were frozen."""
        campaign, shown_unreviewed = self._freeze(self.view(draft), as_prepared=False)
        assert campaign.snapshot is not None  # _freeze always makes one
        approved = self.drafts.approve(draft, campaign.snapshot, member)
        for stored in shown_unreviewed:
            self._mark_reviewed(stored.resource.id, stored.revision)
        return approved

    def start(
        self,
        period: Period,
        *,
        member: str = SCHEDULE,
        time_left: Callable[[], float] | None = None,
    ) -> DigestStart:
        """The 1st: send the month's digest as approved; unapproved, as the setting says (as
        prepared, or held and the senders told). Safe to run twice: a sent draft's campaign
        is planned as stored (a plan cut off resumes), and is never started again."""
        stored = self._campaigns.get(campaign_id(Kind.DIGEST, period))
        draft = self.drafts.get(digest_draft_id(period))
        if stored is not None and (draft is None or draft.state is not DraftState.SENT):
            # Started before drafts existed (or by hand): plan what was stored.
            return DigestStart("resumed", stored, self._planner.plan(stored, time_left=time_left))
        if draft is None:
            draft, _ = self.prepare(period, member)
        if draft.state is DraftState.SENT:
            if stored is None:  # pragma: no cover (written in one transaction with the draft)
                raise MailerError(f"the {period} digest was sent, but its record is missing")
            return DigestStart("resumed", stored, self._planner.plan(stored, time_left=time_left))
        if draft.state is DraftState.DISCARDED:
            logger.warning("the %s digest draft was discarded: nothing sent", period)
            return DigestStart("discarded")
        if draft.state is DraftState.APPROVED:
            return self._send(draft, member, time_left, as_prepared=False)
        if draft.state is DraftState.SCHEDULED:  # a sender chose its time: it goes then
            logger.info("the %s digest is scheduled for %s", period, draft.scheduled_for)
            return DigestStart("scheduled")
        if self.unapproved == "hold":
            self._notify(
                f"The {period.label} digest is held",
                f"No sender approved the {period.label} digest, so it was not sent. Review "
                f"and approve it at /staff/drafts/{draft.id}; then send it from there.",
            )
            return DigestStart("held")
        return self._send(draft, member, time_left, as_prepared=True)

    def _send(
        self,
        draft: Draft,
        member: str,
        time_left: Callable[[], float] | None,
        *,
        as_prepared: bool,
    ) -> DigestStart:
        """Write the campaign record and the draft's move to sent, all or nothing, then plan."""
        campaign = self.campaign_of(draft, as_prepared=as_prepared)
        snapshot = campaign.snapshot if as_prepared else None
        wrote = True
        try:
            self._campaigns.table.transact(
                [
                    {
                        "Put": {
                            "Item": self._campaigns.new_record(campaign),
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    self.drafts.sent_update(draft, campaign.id, member, snapshot),
                ],
                action="sending a digest",
            )
        except ConflictError:
            now = self.drafts.get(draft.id)
            if now is None or now.state is not DraftState.SENT:
                raise StaleDraftError(CHANGED_MEANWHILE) from None
            wrote = False  # another start won the race: plan what it stored
        stored = self._campaigns.get(campaign.id)
        if stored is None:  # pragma: no cover (written just now, or by the other start)
            raise MailerError(f"the {campaign.id} record is missing")
        status = "sent as prepared" if as_prepared else "sent as approved"
        logger.info("%s: %s", campaign.id, status)
        report = self._planner.plan(stored, time_left=time_left)
        report.created = wrote  # this start wrote the record (the planner found it written)
        return DigestStart(status, stored, report)

    def send_scheduled(
        self, draft: Draft, member: str, time_left: Callable[[], float] | None = None
    ) -> DigestStart:
        """Send a scheduled digest at its time, as approved (schedules.py)."""
        if draft.state is not DraftState.SCHEDULED:
            raise StaleDraftError(f"this draft is {draft.state}, not scheduled")
        return self._send(draft, member, time_left, as_prepared=False)

    def send_held(self, draft: Draft, member: str) -> DigestStart:
        """A sender sends an approved draft whose 1st has passed (it was held)."""
        if draft.state is not DraftState.APPROVED:
            raise StaleDraftError("a sender must approve this draft before it can be sent")
        if self.today() < draft_period(draft).start:
            raise MailerError(
                f"this digest goes out on {draft_period(draft).start:%-d %B %Y}, as approved"
            )
        return self._send(draft, member, None, as_prepared=False)

    # --- the planner function's events ------------------------------------------------------

    def handle(self, event: Any, time_left: Callable[[], float] | None = None) -> dict[str, Any]:
        """The planner function's events: the daily preparation, the 1st's digest, and the
        rest (announcements, requeues) for the planner itself."""
        kind = event.get("kind") if isinstance(event, Mapping) else None
        if kind == "digest-prepare":
            return self.daily()
        if kind != "digest":
            return self._planner.handle(event, time_left)
        try:
            period = _event_period(event)
        except MailerError as exc:
            logger.error("rejected a planner event: %s", exc)
            return {"status": "rejected", "error": str(exc)}
        started = self.start(period, time_left=time_left)
        result: dict[str, Any] = {"status": started.status, "digest": started.status}
        if started.report is not None:
            result.update(status="planned", **started.report.to_json())
        return result


def _event_period(event: Mapping[str, Any]) -> Period:
    """The month a digest event names: {"period": "2026-12"}, or the schedule's time (a retry
    hours later still names the month it was meant for)."""
    if event.get("period"):
        return Period.parse(str(event["period"]))
    try:
        when = dt.datetime.fromisoformat(str(event.get("scheduled_time")))
    except ValueError:
        raise MailerError("a digest event needs a period or a scheduled_time") from None
    when = when.astimezone(dt.UTC) if when.tzinfo else when
    return Period(when.year, when.month)
