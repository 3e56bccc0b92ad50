"""The campaigns table's stores: campaign records, their counts (checkpoints and tallies) and
planner checkpoints, and the markers of SES events already acted on. Keys and item kinds: keys.py.

No write here shares an item with the senders' writes, and each is one conditional write,
retried while DynamoDB reports a TransactionConflict."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from boto3.dynamodb.conditions import Attr, Key

from mailer.aws.paging import paged_items
from mailer.aws.transactions import CONFLICT_BACKOFF, retry_conflicts
from mailer.aws.translate import aws_errors
from mailer.errors import ConflictError

from .keys import (
    BY_TIME_INDEX,
    CHECKPOINT_PREFIX,
    LEDGER_PREFIX,
    LISTED_CAMPAIGN,
    LISTED_SES_EVENT,
    META,
    MOVED_PREFIX,
    PARKED_PREFIX,
    PLANNED,
    SES_EVENT_PREFIX,
    audience_of_moved_sk,
    campaign_pk,
    checkpoint_sk,
    listing,
    meta_key,
    ses_event_key,
)
from .model import (
    COUNTED,
    Campaign,
    CampaignStatus,
    Checkpoint,
    Control,
    Kind,
    Period,
    SendOutcome,
    campaign_id,
)
from .tally import COUNT_MARGIN, Counts, Tally

UNDER_WAY = "claimed"  # a ledger entry a sender holds: counted only for campaigns before shards
FINAL_STATES = frozenset(o.value for o in SendOutcome)

SES_EVENT_MARKER_DAYS = 30  # how long a processed SES event is remembered


def now_iso(clock: Callable[[], float]) -> str:
    """The clock's time as an ISO 8601 UTC timestamp to the second."""
    return dt.datetime.fromtimestamp(clock(), dt.UTC).isoformat(timespec="seconds")


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
        self._backoff = replace(CONFLICT_BACKOFF, sleep=sleep)
        self._tally = Tally(table)

    def create(self, campaign: Campaign) -> tuple[Campaign, bool]:
        """Write the campaign record unless it exists; return the stored campaign and whether
        this call created it. The first definition wins, so a second start changes nothing."""
        item = self.new_record(campaign)
        try:
            self._write(
                "creating a campaign",
                self.table.put_item,
                Item=item,
                ConditionExpression=Attr("pk").not_exists(),
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
        with aws_errors("reading a campaign"):
            return self.table.get_item(Key=meta_key(campaign_id), ConsistentRead=True).get("Item")

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
        records = paged_items(
            self.table.query,
            "listing campaigns",
            IndexName=BY_TIME_INDEX,
            KeyConditionExpression=Key("listed").eq(LISTED_CAMPAIGN),
            ScanIndexForward=False,
        )
        return [self._status_of(item) for item in records]

    def list_unlisted(self) -> int:
        """Put the campaign records and SES event markers written before listed-by-time into
        it (a scan, once, after the first deploy with the index); how many it added."""
        return list_unlisted(self.table)

    def count(self, campaign: Campaign, time_left: Callable[[], float] | None = None) -> Counts:
        """Planned recipients (its checkpoints) and outcomes (its tallies) per audience: a few
        small reads, whatever the campaign's size. OutOfTimeError if they would outlast the
        invocation."""
        if campaign.ledger_shards == 0:
            return self._count_ledger(campaign, time_left)
        counts: Counts = {a: dict.fromkeys(COUNTED, 0) for a in campaign.audiences}
        with aws_errors("counting a campaign"):
            checkpoints = self.table.query(
                KeyConditionExpression=Key("pk").eq(campaign.pk)
                & Key("sk").begins_with(CHECKPOINT_PREFIX),
                ConsistentRead=True,
            )["Items"]
        for item in checkpoints:
            _count_item(counts, item)
        for audience, tallied in self._tally.read(campaign, time_left).items():
            row = counts.setdefault(audience, dict.fromkeys(COUNTED, 0))
            for outcome, n in tallied.items():
                row[outcome] = row.get(outcome, 0) + n
        return counts

    def _count_ledger(self, campaign: Campaign, time_left: Callable[[], float] | None) -> Counts:
        """Count a campaign from before the shards from its partition: checkpoints, ledger
        entries (claims too) and moved markers."""
        counts: Counts = {a: dict.fromkeys(COUNTED, 0) for a in campaign.audiences}
        # A million entries take many pages: stop before a Lambda runs out of time, rather than
        # be killed and have SQS deliver the batch again.
        for entry in paged_items(
            self.table.query,
            "counting a campaign",
            time_left=time_left,
            margin=COUNT_MARGIN,
            KeyConditionExpression=Key("pk").eq(campaign_pk(campaign.id)),
            ProjectionExpression="sk, #state, audience, planned",
            ExpressionAttributeNames={"#state": "state"},
            ConsistentRead=True,
        ):
            _count_item(counts, entry)
        return counts

    def control(self, campaign_id: str) -> str:
        """ "paused", "cancelled", or "" while the campaign runs as planned."""
        with aws_errors("reading a campaign"):
            item = self.table.get_item(
                Key=meta_key(campaign_id), ProjectionExpression="control", ConsistentRead=True
            ).get("Item")
        return str((item or {}).get("control", ""))

    def set_control(self, campaign_id: str, control: Control | None) -> bool:
        """Pause, cancel (None: resume) a campaign still sending; False if it cannot now be
        (finished, cancelled already, or resumed when not paused)."""
        if control is None:
            request: dict[str, Any] = {
                "UpdateExpression": "REMOVE control",
                "ConditionExpression": "control = :paused",
                "ExpressionAttributeValues": {":paused": Control.PAUSED.value},
            }
        else:
            allowed = "attribute_not_exists(control)"
            if control is Control.CANCELLED:
                allowed = "(attribute_not_exists(control) OR control = :paused)"
            request = {
                "UpdateExpression": "SET control = :control",
                "ConditionExpression": (
                    f"attribute_exists(pk) AND attribute_not_exists(finished_at) AND {allowed}"
                ),
                "ExpressionAttributeValues": {
                    ":control": control.value,
                    **({":paused": Control.PAUSED.value} if control is Control.CANCELLED else {}),
                },
            }
        try:
            key = meta_key(campaign_id)
            self._write("changing a campaign", self.table.update_item, Key=key, **request)
        except ConflictError:
            return False
        return True

    def parked_page(self, campaign: Campaign, limit: int = 500) -> list[dict[str, Any]]:
        """Up to `limit` of the jobs parked while the campaign was paused, shard by shard (the
        first ones left: requeued jobs are forgotten, so the next page starts where this one
        ended)."""
        parked: list[dict[str, Any]] = []
        for pk in campaign.ledger_partitions:
            with aws_errors("reading parked jobs"):
                page = self.table.query(
                    KeyConditionExpression=Key("pk").eq(pk) & Key("sk").begins_with(PARKED_PREFIX),
                    ConsistentRead=True,
                    Limit=limit - len(parked),
                )
            parked += page["Items"]
            if len(parked) >= limit:
                break
        return parked

    def forget_parked(self, parked: list[dict[str, Any]]) -> None:
        """Delete parked jobs (as parked_page gave them) once they are back on the queue."""
        with aws_errors("forgetting parked jobs"), self.table.batch_writer() as batch:
            for item in parked:
                batch.delete_item(Key={"pk": item["pk"], "sk": item["sk"]})

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
                Key={"pk": campaign.pk, "sk": checkpoint_sk(audience)}, ConsistentRead=True
            ).get("Item")
        if not item:
            return Checkpoint(audience)
        return Checkpoint(
            audience,
            pages=int(item.get("pages", 0)),
            next_start=item.get("next_start") or None,
            done=bool(item.get("done", False)),
            planned=int(item.get("planned", 0)),
        )

    def advance(
        self,
        campaign: Campaign,
        checkpoint: Checkpoint,
        next_start: dict[str, Any] | None,
        recipients: int,
    ) -> Checkpoint:
        """Record one more enqueued page and its recipients as planned, in one conditional write
        to the audience's own checkpoint (never the campaign record, which senders read).

        The write is conditional on the page number read, so if two planners race over the same
        page only one advances and counts it; the loser gets ConflictError and re-reads.
        """
        advanced = checkpoint.advanced(next_start, recipients)
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
            ":planned": advanced.planned,
            ":now": now_iso(self._clock),
            **condition.pop("ExpressionAttributeValues", {}),
        }

        def write() -> None:
            with aws_errors("recording planner progress"):
                self.table.update_item(
                    Key={"pk": campaign.pk, "sk": checkpoint_sk(checkpoint.audience)},
                    UpdateExpression=(
                        "SET pages = :next_pages, next_start = :start, done = :done, "
                        "planned = :planned, updated_at = :now"
                    ),
                    ExpressionAttributeValues=values,
                    **condition,
                )

        retry_conflicts(write, backoff=self._backoff)
        return advanced

    def mark_planned(self, campaign: Campaign) -> None:
        """Note that every audience is enqueued (idempotent)."""
        try:
            self._write(
                "marking a campaign planned",
                self.table.update_item,
                Key=meta_key(campaign.id),
                UpdateExpression="SET plan_state = :planned, planned_at = :now",
                ConditionExpression=Attr("plan_state").eq("planning"),
                ExpressionAttributeValues={":planned": "planned", ":now": now_iso(self._clock)},
            )
        except ConflictError:
            return  # already planned

    def _write(self, action: str, call: Callable[..., Any], **request: Any) -> None:
        """One conditional write, retried while a transaction elsewhere holds the item."""

        def write() -> None:
            with aws_errors(action):
                call(**request)

        retry_conflicts(write, backoff=self._backoff)

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

        def write() -> None:
            with aws_errors("finishing a campaign"):
                self.table.update_item(
                    Key=meta_key(campaign_id),
                    UpdateExpression="SET finished_at = :now, #counts = :counts",
                    ConditionExpression=(
                        "attribute_not_exists(finished_at) AND plan_state = :planned"
                    ),
                    ExpressionAttributeNames={"#counts": "counts"},
                    ExpressionAttributeValues={
                        ":now": now_iso(self._clock),
                        ":planned": "planned",
                        ":counts": counts,
                    },
                )

        try:
            retry_conflicts(write, backoff=self._backoff)
        except ConflictError:
            return False  # another sender finished it first
        return True


def _count_item(counts: Counts, item: dict[str, Any]) -> None:
    """Add one item of a campaign's partition to its counts (items that count nothing: none)."""
    sk = str(item.get("sk", ""))
    if sk.startswith(CHECKPOINT_PREFIX):
        audience, outcome, n = (
            sk.removeprefix(CHECKPOINT_PREFIX),
            PLANNED,
            int(item.get("planned", 0)),
        )
    elif sk.startswith(MOVED_PREFIX):
        audience, outcome, n = audience_of_moved_sk(sk), SendOutcome.SKIPPED.value, 1
    elif sk.startswith(LEDGER_PREFIX) and item.get("state") in (*FINAL_STATES, UNDER_WAY):
        audience, outcome, n = str(item.get("audience", "")), str(item["state"]), 1
    else:
        return  # the record itself, or a parked job
    row = counts.setdefault(audience, dict.fromkeys(COUNTED, 0))
    row[outcome] = row.get(outcome, 0) + n


def list_unlisted(table: Any) -> int:
    """Give every campaign record and SES event marker without "listed" its listing; safe to
    run again, and beside live writes (each update is conditional)."""
    added = 0
    unlisted = (Attr("sk").eq(META) | Attr("pk").begins_with(SES_EVENT_PREFIX)) & Attr(
        "listed"
    ).not_exists()
    for item in paged_items(table.scan, "finding unlisted items", FilterExpression=unlisted):
        is_record = item["sk"] == META
        kind = LISTED_CAMPAIGN if is_record else LISTED_SES_EVENT
        at = str(item.get("started_at" if is_record else "at", ""))
        try:
            with aws_errors("listing an item"):
                table.update_item(
                    Key={"pk": item["pk"], "sk": item["sk"]},
                    UpdateExpression="SET listed = :listed, listed_at = :at",
                    ConditionExpression=Attr("pk").exists() & Attr("listed").not_exists(),
                    ExpressionAttributeValues={":listed": kind, ":at": at},
                )
        except ConflictError:
            continue  # listed meanwhile, or gone (TTL)
        added += 1
    return added


class SesEventMarkers:
    """Which SES bounce and complaint events were acted on, so a redelivery is ignored."""

    def __init__(self, table: Any, clock: Callable[[], float] = time.time) -> None:
        self._table = table
        self._clock = clock

    def seen(self, event_id: str) -> bool:
        """True if this event was acted on already."""
        with aws_errors("reading an SES event marker"):
            return "Item" in self._table.get_item(Key=ses_event_key(event_id))

    def mark(self, event_id: str, kind: str = "") -> None:
        """Remember the event and its kind ("bounce" or "complaint") for
        SES_EVENT_MARKER_DAYS (TTL deletes the marker after; the dashboard counts the rest)."""
        now = self._clock()

        def write() -> None:
            with aws_errors("marking an SES event processed"):
                self._table.put_item(
                    Item={
                        **ses_event_key(event_id),
                        **listing(LISTED_SES_EVENT, now_iso(lambda: now)),
                        "kind": kind,
                        "at": now_iso(lambda: now),
                        "expires_at": int(now) + SES_EVENT_MARKER_DAYS * 24 * 3600,
                    },
                    ConditionExpression=Attr("pk").not_exists(),
                )

        try:
            retry_conflicts(write)
        except ConflictError:
            return  # a concurrent delivery of the same event marked it first

    def counts_since(self, since_iso: str) -> dict[str, int]:
        """Bounces and complaints acted on since a time (a query of listed-by-time: markers
        live 30 days, and no other item is read)."""
        counts: dict[str, int] = {"bounce": 0, "complaint": 0}
        for item in paged_items(
            self._table.query,
            "counting SES events",
            IndexName=BY_TIME_INDEX,
            KeyConditionExpression=Key("listed").eq(LISTED_SES_EVENT)
            & Key("listed_at").gte(since_iso),
            ProjectionExpression="#kind",
            ExpressionAttributeNames={"#kind": "kind"},
        ):
            if item.get("kind") in counts:
                counts[item["kind"]] += 1
        return counts
