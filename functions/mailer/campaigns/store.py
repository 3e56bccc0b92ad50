"""Campaign records in the campaigns table: created once, read, listed newest first, paused,
resumed or cancelled, and finished with their counts stored. Keys and item kinds: keys.py.

No write here shares an item with the senders' writes, and each is one conditional write
(the table adapter retries it while DynamoDB reports a TransactionConflict). The planner's
checkpoints (checkpoints.py) and parked jobs (parked.py) sit beside the records; this store
hands the planner to them, so it needs one store."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

from boto3.dynamodb.conditions import Attr, Key

from mailer.aws.table import Table
from mailer.errors import ConflictError
from mailer.subscribers.ses_events import BY_TIME_INDEX, listing

from .checkpoints import Checkpoints
from .counts import FINAL_STATES, count
from .keys import LISTED_CAMPAIGN, PLANNED, meta_key
from .listed import list_unlisted
from .model import (
    Campaign,
    CampaignStatus,
    Checkpoint,
    Control,
    Kind,
    Period,
    campaign_id,
    now_iso,
)
from .parked import ParkedJobs
from .tally import Counts, Tally


class CampaignStore:
    """Campaign records, and the way to their checkpoints and parked jobs."""

    def __init__(self, table: Table, clock: Callable[[], float] = time.time) -> None:
        self.table = table
        self._clock = clock
        self._tally = Tally(table)
        self.checkpoints = Checkpoints(table, clock)
        self.parked = ParkedJobs(table)

    def create(self, campaign: Campaign) -> tuple[Campaign, bool]:
        """Write the campaign record unless it exists; return the stored campaign and whether
        this call created it. The first definition wins, so a second start changes nothing."""
        try:
            self.table.put(
                self.new_record(campaign),
                action="creating a campaign",
                condition=Attr("pk").not_exists(),
            )
        except ConflictError:
            existing = self.get(campaign.id)
            if existing is None:  # pragma: no cover (records are never deleted)
                raise
            return existing, False
        return campaign, True

    def new_record(self, campaign: Campaign) -> dict[str, Any]:
        """The campaign record as it is first written (also inside approval's transaction)."""
        started = now_iso(self._clock)
        return {
            **meta_key(campaign.id),
            **campaign.to_item(),
            **listing(LISTED_CAMPAIGN, started),
            "plan_state": "planning",
            "started_at": started,
        }

    def _meta(self, campaign_id: str) -> dict[str, Any] | None:
        return self.table.get(meta_key(campaign_id), action="reading a campaign", consistent=True)

    def get(self, campaign_id: str) -> Campaign | None:
        """The campaign with this id, if its record exists."""
        item = self._meta(campaign_id)
        return Campaign.from_item(item) if item else None

    def status(self, campaign_id: str) -> CampaignStatus | None:
        """The campaign record with its counts per audience and outcome (from its checkpoints
        and tallies until the campaign finishes, then as stored on the record)."""
        item = self._meta(campaign_id)
        return self._status_of(item) if item else None

    def _status_of(self, item: dict[str, Any]) -> CampaignStatus:
        campaign = Campaign.from_item(item)
        stored = item.get("counts")
        counts = (
            {a: {o: int(n) for o, n in row.items()} for a, row in stored.items()}
            if stored
            else self.count(campaign)
        )
        return CampaignStatus(
            campaign=campaign,
            plan_state=item.get("plan_state", ""),
            started_at=item.get("started_at", ""),
            planned_at=item.get("planned_at", ""),
            finished_at=item.get("finished_at", ""),
            counts=counts,
            control=item.get("control", ""),
        )

    def list(self) -> list[CampaignStatus]:
        """Every campaign, newest first, from the sparse index of campaign records (no ledger
        entry is read; a campaign still sending is counted from its tallies)."""
        records = self.table.query(
            action="listing campaigns",
            IndexName=BY_TIME_INDEX,
            KeyConditionExpression=Key("listed").eq(LISTED_CAMPAIGN),
            ScanIndexForward=False,
        )
        return [self._status_of(item) for item in records]

    def list_unlisted(self) -> int:
        """Put the campaign records and SES event markers written before listed-by-time into
        it (listed.py); how many it added."""
        return list_unlisted(self.table)

    def count(self, campaign: Campaign, time_left: Callable[[], float] | None = None) -> Counts:
        """Planned recipients (its checkpoints) and outcomes (its tallies) per audience
        (counts.py); OutOfTimeError if the reads would outlast the invocation."""
        return count(self.table, self._tally, campaign, time_left)

    def control(self, campaign_id: str) -> str:
        """ "paused", "cancelled", or "" while the campaign runs as planned."""
        item = self.table.get(
            meta_key(campaign_id),
            action="reading a campaign",
            consistent=True,
            projection="control",
        )
        return str((item or {}).get("control", ""))

    def set_control(self, campaign_id: str, control: Control | None) -> bool:
        """Pause, cancel (None: resume) a campaign still sending; False if it cannot now be
        (finished, cancelled already, or resumed when not paused)."""
        paused = {":paused": Control.PAUSED.value}
        if control is None:
            expression, condition, values = "REMOVE control", "control = :paused", paused
        else:
            allowed = "attribute_not_exists(control)"
            if control is Control.CANCELLED:
                allowed = "(attribute_not_exists(control) OR control = :paused)"
            expression = "SET control = :control"
            condition = f"attribute_exists(pk) AND attribute_not_exists(finished_at) AND {allowed}"
            values = {
                ":control": control.value,
                **(paused if control is Control.CANCELLED else {}),
            }
        try:
            self.table.update(
                meta_key(campaign_id),
                action="changing a campaign",
                expression=expression,
                condition=condition,
                values=values,
            )
        except ConflictError:
            return False
        return True

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

    def mark_planned(self, campaign: Campaign) -> None:
        """Note that every audience is enqueued (idempotent)."""
        try:
            self.table.update(
                meta_key(campaign.id),
                action="marking a campaign planned",
                expression="SET plan_state = :planned, planned_at = :now",
                condition=Attr("plan_state").eq("planning"),
                values={":planned": "planned", ":now": now_iso(self._clock)},
            )
        except ConflictError:
            return  # already planned

    def try_finish(self, campaign_id: str, time_left: Callable[[], float] | None = None) -> bool:
        """Set finished_at, and store the final counts, once every planned recipient has an
        outcome; True if this call did. Counting is a few small reads (the tallies), but
        callers run it once a campaign's queue drains, not after every batch."""
        item = self._meta(campaign_id)
        if not item or item.get("finished_at") or item.get("plan_state") != "planned":
            return False
        campaign = Campaign.from_item(item)
        counts = self.count(campaign, time_left)
        planned = sum(row[PLANNED] for row in counts.values())
        done = sum(row[o] for row in counts.values() for o in FINAL_STATES)
        if done < planned:
            return False
        try:
            self.table.update(
                meta_key(campaign_id),
                action="finishing a campaign",
                expression="SET finished_at = :now, #counts = :counts",
                condition="attribute_not_exists(finished_at) AND plan_state = :planned",
                names={"#counts": "counts"},
                values={":now": now_iso(self._clock), ":planned": "planned", ":counts": counts},
            )
        except ConflictError:
            return False  # another sender finished it first
        return True

    # --- the planner's, beside the records (checkpoints.py, parked.py) -----------------------

    def checkpoint(self, campaign: Campaign, audience: str) -> Checkpoint:
        """Where planning stands in one audience (a fresh checkpoint if it has not started)."""
        return self.checkpoints.get(campaign, audience)

    def advance(
        self,
        campaign: Campaign,
        checkpoint: Checkpoint,
        next_start: dict[str, Any] | None,
        recipients: int,
    ) -> Checkpoint:
        """Record one more enqueued page in the audience's checkpoint (ConflictError: another
        planner recorded it first)."""
        return self.checkpoints.advance(campaign, checkpoint, next_start, recipients)

    def parked_page(self, campaign: Campaign, limit: int = 500) -> list[dict[str, Any]]:
        """Up to `limit` of the jobs parked while the campaign was paused."""
        return self.parked.page(campaign, limit)

    def forget_parked(self, parked: list[dict[str, Any]]) -> None:
        """Delete parked jobs (as parked_page gave them) once they are back on the queue."""
        self.parked.forget(parked)
