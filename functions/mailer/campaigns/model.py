"""Campaigns: what is sent to whom (a digest for a month, or one resource's announcement),
what can become of each recipient, and the campaign record as people read it."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from mailer.errors import MailerError

from .keys import LEDGER_SHARDS, PLANNED, campaign_pk, ledger_partitions, ledger_pk
from .snapshot import Snapshot


class Kind(StrEnum):
    """The kinds of campaign; both go through the same planner, ledger, pacing and sender."""

    DIGEST = "digest"
    ANNOUNCEMENT = "announcement"


class SendOutcome(StrEnum):
    """What finally happened for one subscriber in one campaign."""

    SENT = "sent"
    SKIPPED = "skipped"  # no longer subscribed, or nothing relevant to them
    SUPPRESSED = "suppressed"  # complaint or bounces: never send
    FAILED = "failed"  # still failing on the queue's last attempt; the message is in the DLQ


COUNTED = (PLANNED, *(o.value for o in SendOutcome))  # the columns of `mailer digest status`


def now_iso(clock: Callable[[], float]) -> str:
    """The clock's time as an ISO 8601 UTC timestamp to the second."""
    return dt.datetime.fromtimestamp(clock(), dt.UTC).isoformat(timespec="seconds")


_PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


@dataclass(frozen=True, order=True)
class Period:
    """A calendar month, the unit a digest covers ("2026-12")."""

    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Period:
        """Parse YYYY-MM, with a clear error otherwise."""
        match = _PERIOD.match(text.strip())
        if not match or not 2000 <= int(match[1]) <= 2999:
            raise MailerError(f"period must be YYYY-MM, like 2026-12 (got {text!r})")
        return cls(int(match[1]), int(match[2]))

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def start(self) -> dt.date:
        """First day of the month."""
        return dt.date(self.year, self.month, 1)

    @property
    def label(self) -> str:
        """'December 2026'."""
        return self.start.strftime("%B %Y")

    @property
    def previous(self) -> Period:
        """The month before."""
        return Period(self.year - 1, 12) if self.month == 1 else Period(self.year, self.month - 1)

    @property
    def next(self) -> Period:
        """The month after."""
        return Period(self.year + 1, 1) if self.month == 12 else Period(self.year, self.month + 1)


@dataclass(frozen=True)
class Campaign:
    """One campaign's definition; fixed once its record exists."""

    kind: Kind
    audiences: tuple[str, ...]
    period: Period | None = None  # digests: the month
    new_since: dt.date | None = None  # digests: resources added on or after this day are new
    already_new: tuple[str, ...] = ()  # digests: shown as new last time, so not new again
    # digests: what this one shows as new (the next one's already_new)
    new_ids: tuple[str, ...] = ()
    resource_id: str = ""  # announcements: the resource announced
    message: str = ""  # announcements: an optional note from staff
    draft_id: str = ""  # announcements approved from a draft (drafts.py): one per draft
    # announcements copied from a cancelled one: whoever that one reached is skipped
    follows: str = ""
    # What its emails are made from, frozen when it was approved (snapshot.py). Not part of
    # the definition's identity: two starts of one campaign compare equal whatever they froze.
    snapshot: Snapshot | None = field(default=None, compare=False, hash=False)
    # How many shard partitions its ledger and tallies are spread over (keys.py); 0 for a
    # campaign recorded before there were shards. Not part of the definition either.
    ledger_shards: int = field(default=LEDGER_SHARDS, compare=False, hash=False)

    @classmethod
    def digest(
        cls,
        period: Period,
        audiences: Iterable[str],
        new_since: dt.date | None = None,
        already_new: Iterable[str] = (),
        new_ids: Iterable[str] = (),
        snapshot: Snapshot | None = None,
    ) -> Campaign:
        """The monthly digest for a period."""
        return cls(
            Kind.DIGEST,
            tuple(audiences),
            period=period,
            new_since=new_since,
            already_new=tuple(already_new),
            new_ids=tuple(new_ids),
            snapshot=snapshot,
        )

    @classmethod
    def announcement(
        cls,
        resource_id: str,
        audiences: Iterable[str],
        message: str = "",
        snapshot: Snapshot | None = None,
        draft_id: str = "",
        follows: str = "",
    ) -> Campaign:
        """The announcement of one resource: from a draft, one campaign per draft (approval.py
        lets each group have a resource once); without one, one per resource. `follows`: the
        cancelled campaign it carries on (its recipients are not mailed again)."""
        return cls(
            Kind.ANNOUNCEMENT,
            tuple(audiences),
            resource_id=resource_id,
            message=message,
            draft_id=draft_id,
            follows=follows,
            snapshot=snapshot,
        )

    @property
    def id(self) -> str:
        """'digest#2026-12', 'announcement#<resource id>' or 'announcement#<resource>#<draft>'."""
        return campaign_id(self.kind, self.period, self.resource_id, self.draft_id)

    @property
    def name(self) -> str:
        """What people call it: 'December 2026 digest', 'Announcement: <title>'."""
        if self.kind is Kind.DIGEST and self.period is not None:
            return f"{self.period.label} digest"
        frozen = self.snapshot.resources if self.snapshot else ()
        title = next((r.title for r in frozen if r.id == self.resource_id), self.resource_id)
        return f"Announcement: {title}"

    @property
    def pk(self) -> str:
        """The partition key of every item of this campaign."""
        return campaign_pk(self.id)

    def ledger_pk(self, subscriber_key: str) -> str:
        """The partition of this subscriber's ledger entry, parked job and moved marker."""
        return ledger_pk(self.id, self.ledger_shards, subscriber_key)

    @property
    def ledger_partitions(self) -> list[str]:
        """Every partition its ledger entries and tallies are in."""
        return ledger_partitions(self.id, self.ledger_shards)

    @property
    def tag(self) -> str:
        """The id as an SES message tag value (letters, digits, '-', '_' and '.' only)."""
        return self.id.replace("#", "-")

    def planner_event(self) -> dict[str, Any]:
        """The planner function's event for this campaign, once its record exists (see
        Planner.campaign_for): the planner plans the stored record, snapshot and all, and
        never rebuilds it from what the catalogue says by then."""
        return {"kind": "campaign", "campaign_id": self.id}

    def to_item(self) -> dict[str, Any]:
        """The definition as attributes of the campaign record."""
        item: dict[str, Any] = {
            "kind": self.kind.value,
            "audiences": list(self.audiences),
            "ledger_shards": self.ledger_shards,
        }
        if self.period:
            item["period"] = str(self.period)
        if self.new_since:
            item["new_since"] = self.new_since.isoformat()
        if self.kind is Kind.DIGEST:
            item["already_new"] = list(self.already_new)
            item["new_ids"] = list(self.new_ids)
        if self.resource_id:
            item["resource_id"] = self.resource_id
        if self.message:
            item["message"] = self.message
        if self.draft_id:
            item["draft_id"] = self.draft_id
        if self.follows:
            item["follows"] = self.follows
        if self.snapshot is not None:
            item["snapshot"] = self.snapshot.to_json()
        return item

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> Campaign:
        """Rebuild from the campaign record."""
        return cls(
            kind=Kind(item["kind"]),
            audiences=tuple(item.get("audiences", ())),
            period=Period.parse(item["period"]) if item.get("period") else None,
            new_since=dt.date.fromisoformat(item["new_since"]) if item.get("new_since") else None,
            already_new=tuple(item.get("already_new", ())),
            new_ids=tuple(item.get("new_ids", ())),
            resource_id=item.get("resource_id", ""),
            message=item.get("message", ""),
            draft_id=item.get("draft_id", ""),
            follows=item.get("follows", ""),
            snapshot=Snapshot.from_json(item["snapshot"]) if item.get("snapshot") else None,
            ledger_shards=int(item.get("ledger_shards", 0)),
        )


def campaign_id(
    kind: Kind | str, period: Period | None = None, resource_id: str = "", draft_id: str = ""
) -> str:
    """The id of a digest (by period) or an announcement (by resource id, and draft if any)."""
    if Kind(kind) is Kind.DIGEST:
        if period is None:
            raise MailerError("a digest campaign needs a period")
        return f"digest#{period}"
    if not resource_id:
        raise MailerError("an announcement campaign needs a resource id")
    return f"announcement#{resource_id}" + (f"#{draft_id}" if draft_id else "")


# A digest's month, or an announced resource's id (a catalogue slug) and its draft's, if any.
_CAMPAIGN_ID = re.compile(
    r"^(digest#\d{4}-(0[1-9]|1[0-2])|announcement#[a-z0-9]+(-[a-z0-9]+)*(#[a-f0-9]{10})?)$"
)


def is_campaign_id(text: object) -> bool:
    """True for a well-formed campaign id, as campaign_id() makes them."""
    return isinstance(text, str) and _CAMPAIGN_ID.match(text) is not None


@dataclass(frozen=True)
class CampaignStatus:
    """The campaign record as the CLI and the staff dashboard show it."""

    campaign: Campaign
    plan_state: str  # "planning" until every audience is enqueued, then "planned"
    started_at: str
    planned_at: str
    finished_at: str
    counts: dict[str, dict[str, int]] = field(default_factory=dict)  # audience -> outcome -> n
    control: str = ""  # "paused" or "cancelled" by staff; "" while it runs as planned

    @property
    def totals(self) -> dict[str, int]:
        """Each outcome summed over the audiences."""
        return {c: sum(row.get(c, 0) for row in self.counts.values()) for c in COUNTED}

    @property
    def under_way(self) -> int:
        """Recipients whose email a sender is sending right now (claimed in the ledger): a
        cancel cannot stop those, so they count as having had it."""
        return sum(row.get("claimed", 0) for row in self.counts.values())

    @property
    def state(self) -> str:
        """One word for people, the same in the console and the CLI: sending, paused,
        finished or cancelled (drafts and scheduled campaigns have no record yet)."""
        if self.control == Control.CANCELLED:
            return "cancelled"
        if self.finished_at:
            return "finished"
        return "paused" if self.control == Control.PAUSED else "sending"

    @property
    def in_flight(self) -> int:
        """Planned recipients with no outcome yet (queued, or being sent)."""
        totals = self.totals
        return totals[PLANNED] - sum(totals[o.value] for o in SendOutcome)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready record for the dashboard."""
        return {
            "campaign": self.campaign.id,
            "kind": self.campaign.kind.value,
            "plan_state": self.plan_state,
            "started_at": self.started_at,
            "planned_at": self.planned_at,
            "finished_at": self.finished_at,
            "new_since": self.campaign.new_since.isoformat() if self.campaign.new_since else "",
            "counts": self.counts,
            "totals": self.totals,
            "in_flight": self.in_flight,
            "state": self.state,
        }


class Control(StrEnum):
    """What staff may do to a campaign while it sends."""

    PAUSED = "paused"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class Checkpoint:
    """How far the planner got in one audience: pages enqueued and where the next one starts."""

    audience: str
    pages: int = 0
    next_start: dict[str, Any] | None = None
    done: bool = False
    planned: int = 0  # recipients queued in this audience so far

    def advanced(self, next_start: dict[str, Any] | None, recipients: int) -> Checkpoint:
        """The checkpoint after one more page of `recipients` (done when no page follows)."""
        return Checkpoint(
            self.audience, self.pages + 1, next_start, next_start is None, self.planned + recipients
        )
