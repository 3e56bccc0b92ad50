"""Drafts: every campaign starts as one, saved as staff edit it, approved by a sender (which
freezes its snapshot), then sent exactly as approved. An announcement's draft is started by a
member; a month's digest draft is prepared by the schedule (digests.py), one per month.

    draft ──save──> draft (version + 1)          any member of staff
    draft ──approve(version)──> approved               senders: the snapshot is frozen here
    approved ──save──> draft (approval dropped)        what was approved is never edited
    approved ──send(version)──> sent                   senders: the campaign record is written
    approved ──schedule(version, at)──> scheduled      senders (schedules.py): sent at `at`
    scheduled ──schedule(version, at)──> scheduled     rescheduled, until it starts
    scheduled ──unschedule(version)──> approved        senders; a scheduled draft is not edited
    scheduled ──(its time)──> sent                     the planner, exactly as approved
    draft | approved ──discard──> discarded

Every change names the version it was made from, so a press on a page that shows an older
version (another tab, another member) changes nothing and says so. Drafts live in one
partition of the campaigns table ("drafts"), one item each, listed by a Query.
"""

from __future__ import annotations

import datetime as dt
import secrets
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from boto3.dynamodb.conditions import Attr, Key

from mailer.aws.table import Table
from mailer.errors import ConflictError, MailerError

from .model import Kind
from .snapshot import Snapshot

DRAFTS_PK = "drafts"


class DraftState(StrEnum):
    """Where a draft is in its life (the diagram above)."""

    DRAFT = "draft"
    APPROVED = "approved"
    SCHEDULED = "scheduled"  # approved, and to be sent at `scheduled_for`
    SENT = "sent"
    DISCARDED = "discarded"


class StaleDraftError(MailerError):
    """The draft changed since the page that asked for this was shown."""


CHANGED_MEANWHILE = "someone changed this draft since you opened it: here it is as it is now"


@dataclass(frozen=True)
class Draft:
    """A campaign as staff are writing it, or as a sender approved it."""

    id: str
    resource_id: str
    audiences: tuple[str, ...]
    message: str = ""
    subjects: Mapping[str, str] = field(default_factory=dict)  # audience -> subject ("": ours)
    state: DraftState = DraftState.DRAFT
    version: int = 1
    created_by: str = ""
    updated_by: str = ""
    updated_at: str = ""
    approved_by: str = ""
    approved_at: str = ""
    snapshot: Snapshot | None = None  # frozen at approval
    campaign_id: str = ""  # once sent
    kind: Kind = Kind.ANNOUNCEMENT
    # Digests: the month, and staff's changes to the planner's choice per group (digests.py):
    # the featured resources in the order staff saved them, and the ones they took out.
    period: str = ""
    order: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    removed: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    follows: str = ""  # copied from this cancelled campaign (approval.py's copy)
    notes: Mapping[str, str] = field(default_factory=dict)  # Markdown per group; "*": all
    scheduled_for: str = ""  # UTC, ISO 8601: when a scheduled draft is sent (kept once sent)
    scheduled_by: str = ""
    schedule_set: int = 0  # the version whose schedule the planner has set (schedules.py)

    @property
    def editable(self) -> bool:
        """Drafts and approved drafts can be edited (an edit drops the approval)."""
        return self.state in (DraftState.DRAFT, DraftState.APPROVED)

    def to_item(self) -> dict[str, Any]:
        """The draft as its DynamoDB item."""
        item: dict[str, Any] = {
            "pk": DRAFTS_PK,
            "sk": self.id,
            "kind": self.kind.value,
            "resource_id": self.resource_id,
            "audiences": list(self.audiences),
            "message": self.message,
            "subjects": dict(self.subjects),
            "state": self.state.value,
            "version": self.version,
            "created_by": self.created_by,
            "updated_by": self.updated_by,
            "updated_at": self.updated_at,
            "approved_by": self.approved_by,
            "approved_at": self.approved_at,
            "campaign_id": self.campaign_id,
        }
        if self.follows:
            item["follows"] = self.follows
        if self.notes:
            item["notes"] = dict(self.notes)
        if self.scheduled_for:
            item["scheduled_for"] = self.scheduled_for
            item["scheduled_by"] = self.scheduled_by
            item["schedule_set"] = self.schedule_set
        if self.kind is Kind.DIGEST:
            item["period"] = self.period
            item["order"] = {a: list(ids) for a, ids in self.order.items()}
            item["removed"] = {a: list(ids) for a, ids in self.removed.items()}
        if self.snapshot is not None:
            item["snapshot"] = self.snapshot.to_json()
        return item

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> Draft:
        """Rebuild a draft from its item."""
        return cls(
            id=item["sk"],
            kind=Kind(item.get("kind", Kind.ANNOUNCEMENT.value)),
            resource_id=item.get("resource_id", ""),
            audiences=tuple(item.get("audiences", ())),
            message=item.get("message", ""),
            subjects=dict(item.get("subjects", {})),
            state=DraftState(item.get("state", DraftState.DRAFT.value)),
            version=int(item.get("version", 1)),
            created_by=item.get("created_by", ""),
            updated_by=item.get("updated_by", ""),
            updated_at=item.get("updated_at", ""),
            approved_by=item.get("approved_by", ""),
            approved_at=item.get("approved_at", ""),
            snapshot=Snapshot.from_json(item["snapshot"]) if item.get("snapshot") else None,
            campaign_id=item.get("campaign_id", ""),
            period=item.get("period", ""),
            follows=item.get("follows", ""),
            notes=dict(item.get("notes", {})),
            scheduled_for=item.get("scheduled_for", ""),
            scheduled_by=item.get("scheduled_by", ""),
            schedule_set=int(item.get("schedule_set", 0)),
            order={a: tuple(ids) for a, ids in item.get("order", {}).items()},
            removed={a: tuple(ids) for a, ids in item.get("removed", {}).items()},
        )


def new_draft_id() -> str:
    """A short random id: lower-case hex, so it fits a campaign id and an SES tag."""
    return secrets.token_hex(5)


class DraftStore:
    """Drafts in the campaigns table; every change is conditional on the version it came from."""

    def __init__(self, table: Table, clock: Callable[[], float] = time.time) -> None:
        self.table = table
        self._clock = clock

    def _now(self) -> str:
        return dt.datetime.fromtimestamp(self._clock(), dt.UTC).isoformat(timespec="seconds")

    def create(
        self,
        resource_id: str,
        audiences: Iterable[str],
        member: str,
        *,
        message: str = "",
        subjects: Mapping[str, str] | None = None,
        follows: str = "",
    ) -> Draft:
        """A new draft announcing a resource to these groups (with words copied, and the
        cancelled campaign it carries on, when it is a copy)."""
        draft = Draft(
            id=new_draft_id(),
            resource_id=resource_id,
            audiences=tuple(audiences),
            message=message,
            subjects=dict(subjects or {}),
            follows=follows,
            created_by=member,
            updated_by=member,
            updated_at=self._now(),
        )
        self.table.put(
            draft.to_item(), action="creating a draft", condition=Attr("pk").not_exists()
        )
        return draft

    def create_digest(
        self, draft_id: str, period: str, audiences: Iterable[str], member: str
    ) -> tuple[Draft, bool]:
        """The month's digest draft, created once (True) or as it already is (False): the
        schedule may prepare it twice, and the second finds the first."""
        draft = Draft(
            id=draft_id,
            kind=Kind.DIGEST,
            resource_id="",
            period=period,
            audiences=tuple(audiences),
            created_by=member,
            updated_by=member,
            updated_at=self._now(),
        )
        try:
            self.table.put(
                draft.to_item(),
                action="preparing a digest draft",
                condition=Attr("pk").not_exists(),
            )
        except ConflictError:
            existing = self.get(draft_id)
            if existing is None:  # pragma: no cover (a conflict means it exists)
                raise
            return existing, False
        return draft, True

    def save_digest(
        self,
        draft: Draft,
        *,
        order: Mapping[str, Iterable[str]],
        removed: Mapping[str, Iterable[str]],
        subjects: Mapping[str, str],
        member: str,
        notes: Mapping[str, str] | None = None,
    ) -> Draft:
        """Store a digest edit made from `draft` (as the page showed it); an approval is
        dropped, as for announcements."""
        if not draft.editable:
            raise StaleDraftError(f"this draft is {draft.state}: it can no longer be edited")
        edited = replace(
            draft,
            order={a: tuple(ids) for a, ids in order.items()},
            removed={a: tuple(ids) for a, ids in removed.items()},
            subjects={a: s for a, s in subjects.items() if s},
            notes={a: n for a, n in (notes or {}).items() if n.strip()},
            state=DraftState.DRAFT,
            approved_by="",
            approved_at="",
            snapshot=None,
        )
        return self._advance(draft, edited, member, "saving a draft")

    def get(self, draft_id: str) -> Draft | None:
        """The draft with this id, if there is one."""
        item = self.table.get(
            {"pk": DRAFTS_PK, "sk": draft_id}, action="reading a draft", consistent=True
        )
        return Draft.from_item(item) if item else None

    def list(self) -> list[Draft]:
        """Every draft, most recently changed first."""
        drafts = [
            Draft.from_item(item)
            for item in self.table.query(
                action="listing drafts", KeyConditionExpression=Key("pk").eq(DRAFTS_PK)
            )
        ]
        return sorted(drafts, key=lambda d: d.updated_at, reverse=True)

    def save(
        self,
        draft: Draft,
        *,
        audiences: Iterable[str],
        message: str,
        subjects: Mapping[str, str],
        member: str,
        notes: Mapping[str, str] | None = None,
    ) -> Draft:
        """Store an edit made from `draft` (as the page showed it); an approval is dropped."""
        if not draft.editable:
            raise StaleDraftError(f"this draft is {draft.state}: it can no longer be edited")
        edited = replace(
            draft,
            audiences=tuple(audiences),
            message=message,
            subjects={a: s for a, s in subjects.items() if s},
            notes={a: n for a, n in (notes or {}).items() if n.strip()},
            state=DraftState.DRAFT,
            approved_by="",
            approved_at="",
            snapshot=None,
        )
        return self._advance(draft, edited, member, "saving a draft")

    def approve(self, draft: Draft, snapshot: Snapshot, member: str) -> Draft:
        """Freeze the draft as shown (its version) with this snapshot."""
        if draft.state is not DraftState.DRAFT:
            raise StaleDraftError(f"this draft is {draft.state}, not waiting for approval")
        now = self._now()
        approved = replace(
            draft,
            state=DraftState.APPROVED,
            approved_by=member,
            approved_at=now,
            snapshot=snapshot,
        )
        return self._advance(draft, approved, member, "approving a draft")

    def schedule(self, draft: Draft, at: str, member: str) -> Draft:
        """Have an approved (or scheduled) draft sent at `at` (UTC, ISO 8601), as approved."""
        if draft.state not in (DraftState.APPROVED, DraftState.SCHEDULED):
            raise StaleDraftError(f"this draft is {draft.state}: only an approved one is scheduled")
        scheduled = replace(
            draft, state=DraftState.SCHEDULED, scheduled_for=at, scheduled_by=member
        )
        return self._advance(draft, scheduled, member, "scheduling a draft")

    def unschedule(self, draft: Draft, member: str) -> Draft:
        """Take a scheduled draft off its schedule: approved again, sent by no one."""
        if draft.state is not DraftState.SCHEDULED:
            raise StaleDraftError(f"this draft is {draft.state}, not scheduled")
        approved = replace(draft, state=DraftState.APPROVED, scheduled_for="", scheduled_by="")
        return self._advance(draft, approved, member, "unscheduling a draft")

    def mark_schedule_set(self, draft: Draft) -> bool:
        """Note that the scheduler holds this version's schedule (the page says so); False
        when the draft changed meanwhile (the change's own sync sets its schedule)."""
        try:
            self.table.update(
                {"pk": DRAFTS_PK, "sk": draft.id},
                action="noting a draft's schedule",
                expression="SET schedule_set = :v",
                condition=Attr("version").eq(draft.version),
                values={":v": draft.version},
            )
        except ConflictError:
            return False
        return True

    def discard(self, draft: Draft, member: str) -> Draft:
        """Set a draft aside for good (it stays listed, as discarded)."""
        if not draft.editable:
            raise StaleDraftError(f"this draft is {draft.state}: it cannot be discarded")
        discarded = replace(draft, state=DraftState.DISCARDED)
        return self._advance(draft, discarded, member, "discarding a draft")

    def sent_update(
        self,
        draft: Draft,
        campaign_id: str,
        member: str,
        snapshot: Snapshot | None = None,
    ) -> dict[str, Any]:
        """The transaction entry that marks a draft sent (approval.py and digests.py write it
        with the campaign record, all or nothing): an approved one, or, with the `snapshot`
        frozen at the send time, a digest draft no one approved, sent as prepared."""
        sent = replace(
            draft,
            state=DraftState.SENT,
            campaign_id=campaign_id,
            version=draft.version + 1,
            updated_by=member,
            updated_at=self._now(),
            snapshot=snapshot or draft.snapshot,
        )
        return {
            "Put": {
                "Item": sent.to_item(),
                "ConditionExpression": "#v = :v AND #s = :from",
                "ExpressionAttributeNames": {"#v": "version", "#s": "state"},
                "ExpressionAttributeValues": {":v": draft.version, ":from": draft.state.value},
            }
        }

    def _advance(self, seen: Draft, changed: Draft, member: str, action: str) -> Draft:
        """Write `changed` as the next version, if the stored one is still `seen`'s."""
        changed = replace(
            changed, version=seen.version + 1, updated_by=member, updated_at=self._now()
        )
        try:
            self.table.put(
                changed.to_item(), action=action, condition=Attr("version").eq(seen.version)
            )
        except ConflictError:
            raise StaleDraftError(CHANGED_MEANWHILE) from None
        return changed
