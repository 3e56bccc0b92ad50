"""Approving and sending drafts: what a sender approves is frozen, and what is sent is exactly
that. The console and the CLI both act through this module.

A resource is announced once to each group. Sending writes, all or nothing, the campaign record
(with the draft's snapshot), one "announced" marker per group ("announced#<resource>", sort key
the audience, naming the campaign) and the draft's move to "sent": a double click, a second tab
or a retried request finds the markers or the sent draft and starts nothing twice.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from boto3.dynamodb.conditions import Key

from mailer.catalogue.schema import Resource
from mailer.errors import ConflictError, MailerError

from .drafts import CHANGED_MEANWHILE, Draft, DraftState, DraftStore, StaleDraftError
from .model import Campaign, Kind, campaign_id
from .planner import Planner
from .starter import CampaignStarter
from .store import CampaignStore

logger = logging.getLogger(__name__)

ANNOUNCED_PREFIX = "announced#"
SENDABLE = (DraftState.APPROVED, DraftState.SCHEDULED)


class AlreadyAnnouncedError(MailerError):
    """Some chosen group has had this resource announced already."""

    def __init__(self, message: str, earlier: Mapping[str, str]) -> None:
        super().__init__(message)
        self.earlier = dict(earlier)  # audience -> the campaign that announced it


def announced_key(resource_id: str, audience: str) -> dict[str, str]:
    """The marker that says this group has had this resource announced."""
    return {"pk": f"{ANNOUNCED_PREFIX}{resource_id}", "sk": audience}


class Approvals:
    """Drafts from creation to sending."""

    def __init__(
        self,
        *,
        drafts: DraftStore,
        campaigns: CampaignStore,
        planner: Planner,
        starter: CampaignStarter,
    ) -> None:
        self.drafts = drafts
        self._campaigns = campaigns
        self._planner = planner
        self._starter = starter

    def announced_to(self, resource_id: str) -> dict[str, str]:
        """Which groups have had this resource announced, and by which campaign."""
        items = self._campaigns.table.query(
            action="reading announcements",
            KeyConditionExpression=Key("pk").eq(f"{ANNOUNCED_PREFIX}{resource_id}"),
            ConsistentRead=True,
        )
        earlier = {item["sk"]: item["campaign_id"] for item in items}
        # Announcements from before drafts: one campaign per resource, to its audiences.
        legacy = self._campaigns.get(campaign_id(Kind.ANNOUNCEMENT, None, resource_id))
        for audience in legacy.audiences if legacy else ():
            earlier.setdefault(audience, legacy.id)
        return earlier

    def start(self, resource: Resource, member: str) -> Draft:
        """A new draft announcing `resource` to every group of its own that has not had it."""
        earlier = self.announced_to(resource.id)
        left = [a for a in resource.audiences if a not in earlier]
        if not left:
            raise AlreadyAnnouncedError(
                "every group this resource is for has had it announced already", earlier
            )
        return self.drafts.create(resource.id, left, member)

    def copy(self, cancelled_id: str, member: str) -> Draft:
        """A new draft from a cancelled announcement: its groups, words and subjects. Sent, it
        mails only those the cancelled one had not reached (the senders skip the rest)."""
        status = self._campaigns.status(cancelled_id)
        if status is None or status.campaign.kind is not Kind.ANNOUNCEMENT:
            raise MailerError("only an announcement can be copied into a new draft")
        if status.state != "cancelled":
            raise MailerError("only a cancelled announcement can be copied into a new draft")
        old = status.campaign
        return self.drafts.create(
            old.resource_id,
            old.audiences,
            member,
            message=old.message,
            subjects=old.snapshot.subjects if old.snapshot else {},
            follows=old.id,
        )

    def campaign_of(self, draft: Draft) -> Campaign:
        """The campaign a draft describes: its frozen snapshot once approved, else built from
        the catalogue as it is now (what approving would freeze)."""
        if draft.snapshot is not None:
            return Campaign.announcement(
                draft.resource_id,
                draft.audiences,
                draft.message,
                snapshot=draft.snapshot,
                draft_id=draft.id,
                follows=draft.follows,
            )
        return replace(
            self._planner.announcement(
                draft.resource_id,
                draft.audiences,
                draft.message,
                subjects=draft.subjects,
                draft_id=draft.id,
                notes=draft.notes,
            ),
            follows=draft.follows,
        )

    def _refuse_announced(self, draft: Draft) -> None:
        earlier = self.announced_to(draft.resource_id)
        # A copy of a cancelled campaign takes over that campaign's groups.
        repeated = {a: c for a, c in earlier.items() if a in draft.audiences and c != draft.follows}
        if repeated:
            raise AlreadyAnnouncedError(
                f"already announced to {', '.join(sorted(repeated))}: untick "
                f"{'that group' if len(repeated) == 1 else 'those groups'} to send to the rest",
                repeated,
            )

    def approve(self, draft: Draft, member: str) -> Draft:
        """Freeze the draft as it is saved (a sender's act); refuse a group that had it."""
        self._refuse_announced(draft)
        campaign = self.campaign_of(draft)  # MailerError for a resource gone or a bad group
        assert campaign.snapshot is not None  # the planner always freezes one
        return self.drafts.approve(draft, campaign.snapshot, member)

    def send(self, draft: Draft, member: str) -> Campaign:
        """Send an approved draft exactly as approved; pressing again starts nothing more."""
        if draft.state is DraftState.SENT:
            stored = self._campaigns.get(draft.campaign_id)
            if stored is None:  # pragma: no cover (written in one transaction with the draft)
                raise MailerError("this draft was sent, but its campaign record is missing")
            self._starter.start(stored)  # harmless again: a planned campaign is left alone
            return stored
        # Scheduled: the planner sends it at its time (schedules.py), as approved.
        if draft.state not in SENDABLE or draft.snapshot is None:
            raise StaleDraftError("a sender must approve this draft before it can be sent")
        self._refuse_announced(draft)
        campaign = self.campaign_of(draft)
        record: dict[str, Any] = {
            "Put": {
                "Item": self._campaigns.new_record(campaign),
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }
        # A group's marker is new, or (a copy) names the cancelled campaign this one follows.
        taken_over: dict[str, Any] = (
            {
                "ConditionExpression": "attribute_not_exists(pk) OR campaign_id = :follows",
                "ExpressionAttributeValues": {":follows": draft.follows},
            }
            if draft.follows
            else {"ConditionExpression": "attribute_not_exists(pk)"}
        )
        markers = [
            {
                "Put": {
                    "Item": {**announced_key(draft.resource_id, a), "campaign_id": campaign.id},
                    **taken_over,
                }
            }
            for a in campaign.audiences
        ]
        try:
            self._campaigns.table.transact(
                [record, *markers, self.drafts.sent_update(draft, campaign.id, member)],
                action="sending a draft",
            )
        except ConflictError:
            now = self.drafts.get(draft.id)
            if now is not None and now.state is DraftState.SENT:
                return self.send(now, member)  # the other press won: start it, once
            self._refuse_announced(draft)
            raise StaleDraftError(CHANGED_MEANWHILE) from None
        logger.info("sending draft %s as %s", draft.id, campaign.id)
        self._starter.start(campaign)
        return campaign
