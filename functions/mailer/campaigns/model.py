"""Campaigns: what is sent to whom (a digest for a month, or one resource's announcement), the
campaign record with its counts, and the planner's checkpoints, all in the campaigns table.

Items of one campaign share the partition key "campaign#<id>", for example
"campaign#digest#2026-12" or "campaign#announcement#safe-homes":
  sk "meta"                  the campaign record: definition, times, counts (kept for the dashboard)
  sk "checkpoint#<audience>" where the planner got to in that audience (see planner.py)
  sk "ledger#<key>"          one subscriber's send (see ledger.py)
Counts are top-level numbers named "count#<audience>#<outcome>", plus "total#planned" and
"total#done"; they only ever change in the same transaction as the item they count, so a retried
step never counts twice.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from boto3.dynamodb.conditions import Attr

from mailer.aws.clients import aws_errors
from mailer.aws.transactions import transact
from mailer.errors import ConflictError, MailerError

from .selection import Period


class Kind(StrEnum):
    """The kinds of campaign; both go through the same planner, ledger, pacing and sender."""

    DIGEST = "digest"
    ANNOUNCEMENT = "announcement"


class Outcome(StrEnum):
    """What finally happened for one subscriber in one campaign."""

    SENT = "sent"
    SKIPPED = "skipped"  # no longer subscribed, or nothing relevant to them
    SUPPRESSED = "suppressed"  # complaint or bounces: never send
    FAILED = "failed"  # still failing on the queue's last attempt; the message is in the DLQ


PLANNED = "planned"
COUNTED = (PLANNED, *(o.value for o in Outcome))  # the columns of `mailer digest status`


def _now_iso(clock: Callable[[], float]) -> str:
    return dt.datetime.fromtimestamp(clock(), dt.UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Campaign:
    """One campaign's definition; fixed once its record exists."""

    kind: Kind
    audiences: tuple[str, ...]
    period: Period | None = None  # digests: the month
    new_since: dt.date | None = None  # digests: resources added on or after this day are new
    already_new: tuple[str, ...] = ()  # digests: shown as new last time, so not new again
    new_ids: tuple[
        str, ...
    ] = ()  # digests: what this one shows as new (the next one's already_new)
    resource_id: str = ""  # announcements: the resource announced
    message: str = ""  # announcements: an optional note from staff

    @classmethod
    def digest(
        cls,
        period: Period,
        audiences: Iterable[str],
        new_since: dt.date | None = None,
        already_new: Iterable[str] = (),
        new_ids: Iterable[str] = (),
    ) -> Campaign:
        """The monthly digest for a period."""
        return cls(
            Kind.DIGEST,
            tuple(audiences),
            period=period,
            new_since=new_since,
            already_new=tuple(already_new),
            new_ids=tuple(new_ids),
        )

    @classmethod
    def announcement(
        cls, resource_id: str, audiences: Iterable[str], message: str = ""
    ) -> Campaign:
        """The announcement of one resource (one per resource: a second plan changes nothing)."""
        return cls(Kind.ANNOUNCEMENT, tuple(audiences), resource_id=resource_id, message=message)

    @property
    def id(self) -> str:
        """'digest#2026-12' or 'announcement#<resource id>'."""
        return campaign_id(self.kind, self.period, self.resource_id)

    @property
    def pk(self) -> str:
        """The partition key of every item of this campaign."""
        return f"campaign#{self.id}"

    @property
    def tag(self) -> str:
        """The id as an SES message tag value (letters, digits, '-', '_' and '.' only)."""
        return self.id.replace("#", "-")

    def to_item(self) -> dict[str, Any]:
        """The definition as attributes of the campaign record."""
        item: dict[str, Any] = {"kind": self.kind.value, "audiences": list(self.audiences)}
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
        )


def campaign_id(kind: Kind | str, period: Period | None = None, resource_id: str = "") -> str:
    """The id of a digest (by period) or an announcement (by resource id)."""
    if Kind(kind) is Kind.DIGEST:
        if period is None:
            raise MailerError("a digest campaign needs a period")
        return f"digest#{period}"
    if not resource_id:
        raise MailerError("an announcement campaign needs a resource id")
    return f"announcement#{resource_id}"


def count_name(audience: str, outcome: str) -> str:
    """The campaign record's attribute counting one outcome in one audience."""
    return f"count#{audience}#{outcome}"


def count_update(pk: str, audience: str, outcome: str, delta: int = 1) -> dict[str, Any]:
    """A transaction item adding delta to one count and its total on the campaign record."""
    total = "total#planned" if outcome == PLANNED else "total#done"
    return {
        "Update": {
            "Key": {"pk": pk, "sk": "meta"},
            "UpdateExpression": "ADD #count :delta, #total :delta",
            "ConditionExpression": "attribute_exists(pk)",
            "ExpressionAttributeNames": {"#count": count_name(audience, outcome), "#total": total},
            "ExpressionAttributeValues": {":delta": delta},
        }
    }


@dataclass(frozen=True)
class CampaignStatus:
    """The campaign record as the CLI and the staff dashboard show it."""

    campaign: Campaign
    plan_state: str  # "planning" until every audience is enqueued, then "planned"
    started_at: str
    planned_at: str
    finished_at: str
    counts: dict[str, dict[str, int]] = field(default_factory=dict)  # audience -> outcome -> n

    @property
    def totals(self) -> dict[str, int]:
        """Each outcome summed over the audiences."""
        return {c: sum(row.get(c, 0) for row in self.counts.values()) for c in COUNTED}

    @property
    def in_flight(self) -> int:
        """Planned recipients with no outcome yet (queued, or being sent)."""
        totals = self.totals
        return totals[PLANNED] - sum(totals[o.value] for o in Outcome)

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
        }


@dataclass(frozen=True)
class Checkpoint:
    """How far the planner got in one audience: pages enqueued and where the next one starts."""

    audience: str
    pages: int = 0
    next_start: dict[str, Any] | None = None
    done: bool = False


class CampaignStore:
    """Campaign records and planner checkpoints in the campaigns table."""

    def __init__(
        self,
        table: Any,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.table = table
        self._clock = clock
        self._sleep = sleep

    def create(self, campaign: Campaign) -> tuple[Campaign, bool]:
        """Write the campaign record unless it exists; return the stored campaign and whether
        this call created it. The first definition wins, so a second start changes nothing."""
        item = {
            "pk": campaign.pk,
            "sk": "meta",
            **campaign.to_item(),
            "plan_state": "planning",
            "started_at": _now_iso(self._clock),
            "total#planned": 0,
            "total#done": 0,
        }
        try:
            with aws_errors("creating a campaign"):
                self.table.put_item(Item=item, ConditionExpression=Attr("pk").not_exists())
        except ConflictError:
            existing = self.get(campaign.id)
            if existing is None:  # pragma: no cover (records are never deleted)
                raise
            return existing, False
        return campaign, True

    def _meta(self, campaign_id: str) -> dict[str, Any] | None:
        with aws_errors("reading a campaign"):
            return self.table.get_item(
                Key={"pk": f"campaign#{campaign_id}", "sk": "meta"}, ConsistentRead=True
            ).get("Item")

    def get(self, campaign_id: str) -> Campaign | None:
        """The campaign with this id, if its record exists."""
        item = self._meta(campaign_id)
        return Campaign.from_item(item) if item else None

    def status(self, campaign_id: str) -> CampaignStatus | None:
        """The campaign record with its counts per audience and outcome."""
        item = self._meta(campaign_id)
        if not item:
            return None
        campaign = Campaign.from_item(item)
        counts = {a: dict.fromkeys(COUNTED, 0) for a in campaign.audiences}
        for name, value in item.items():
            parts = name.split("#")
            if len(parts) == 3 and parts[0] == "count" and parts[2] in COUNTED:
                counts.setdefault(parts[1], dict.fromkeys(COUNTED, 0))[parts[2]] = int(value)
        return CampaignStatus(
            campaign=campaign,
            plan_state=item.get("plan_state", ""),
            started_at=item.get("started_at", ""),
            planned_at=item.get("planned_at", ""),
            finished_at=item.get("finished_at", ""),
            counts=counts,
        )

    def last_digest_before(
        self, period: Period, lookback: int = 12
    ) -> tuple[Period, dt.datetime] | None:
        """The latest digest that started before `period` (within a year), and when it started."""
        earlier = period
        for _ in range(lookback):
            earlier = earlier.previous
            item = self._meta(campaign_id(Kind.DIGEST, earlier))
            if item and item.get("started_at"):
                return earlier, dt.datetime.fromisoformat(item["started_at"])
        return None

    # --- planner checkpoints ----------------------------------------------------------------

    def checkpoint(self, campaign: Campaign, audience: str) -> Checkpoint:
        """Where planning stands in one audience (a fresh checkpoint if it has not started)."""
        with aws_errors("reading a checkpoint"):
            item = self.table.get_item(
                Key={"pk": campaign.pk, "sk": f"checkpoint#{audience}"}, ConsistentRead=True
            ).get("Item")
        if not item:
            return Checkpoint(audience)
        return Checkpoint(
            audience,
            pages=int(item.get("pages", 0)),
            next_start=item.get("next_start") or None,
            done=bool(item.get("done", False)),
        )

    def advance(
        self,
        campaign: Campaign,
        checkpoint: Checkpoint,
        next_start: dict[str, Any] | None,
        recipients: int,
    ) -> Checkpoint:
        """Record one more enqueued page and count its recipients as planned, atomically.

        The write is conditional on the page number read, so if two planners race over the same
        page only one advances and counts it; the loser gets ConflictError and re-reads.
        """
        advanced = Checkpoint(
            checkpoint.audience, checkpoint.pages + 1, next_start, next_start is None
        )
        condition: dict[str, Any] = (
            {"ConditionExpression": "attribute_not_exists(sk)"}
            if checkpoint.pages == 0
            else {
                "ConditionExpression": "pages = :pages",
                "ExpressionAttributeValues": {":pages": checkpoint.pages},
            }
        )
        values = {
            ":next_pages": advanced.pages,
            ":start": next_start,
            ":done": advanced.done,
            ":now": _now_iso(self._clock),
            **condition.pop("ExpressionAttributeValues", {}),
        }
        update = {
            "Update": {
                "Key": {"pk": campaign.pk, "sk": f"checkpoint#{checkpoint.audience}"},
                "UpdateExpression": (
                    "SET pages = :next_pages, next_start = :start, done = :done, updated_at = :now"
                ),
                "ExpressionAttributeValues": values,
                **condition,
            }
        }
        transact(
            self.table,
            [update, count_update(campaign.pk, checkpoint.audience, PLANNED, recipients)],
            "recording planner progress",
            sleep=self._sleep,
        )
        return advanced

    def mark_planned(self, campaign: Campaign) -> None:
        """Note that every audience is enqueued (idempotent)."""
        try:
            with aws_errors("marking a campaign planned"):
                self.table.update_item(
                    Key={"pk": campaign.pk, "sk": "meta"},
                    UpdateExpression="SET plan_state = :planned, planned_at = :now",
                    ConditionExpression=Attr("plan_state").eq("planning"),
                    ExpressionAttributeValues={
                        ":planned": "planned",
                        ":now": _now_iso(self._clock),
                    },
                )
        except ConflictError:
            return  # already planned

    def try_finish(self, campaign_id: str) -> bool:
        """Set finished_at once every planned recipient has an outcome; True if this call did."""
        try:
            with aws_errors("finishing a campaign"):
                self.table.update_item(
                    Key={"pk": f"campaign#{campaign_id}", "sk": "meta"},
                    UpdateExpression="SET finished_at = :now",
                    ConditionExpression=(
                        "attribute_not_exists(finished_at) AND plan_state = :planned "
                        "AND #done >= #planned"
                    ),
                    ExpressionAttributeNames={"#done": "total#done", "#planned": "total#planned"},
                    ExpressionAttributeValues={
                        ":now": _now_iso(self._clock),
                        ":planned": "planned",
                    },
                )
        except ConflictError:
            return False
        return True
