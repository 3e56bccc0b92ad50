"""A campaign's counts per audience and outcome: planned recipients from its checkpoints,
outcomes from its tallies (tally.py), so no count reads a ledger entry; a campaign from before
the shards is counted from its own partition instead."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from boto3.dynamodb.conditions import Key

from mailer.aws.table import Table

from .keys import CHECKPOINT_PREFIX, LEDGER_PREFIX, MOVED_PREFIX, PLANNED, audience_of_moved_sk
from .model import COUNTED, Campaign, SendOutcome
from .tally import COUNT_MARGIN, Counts, Tally

UNDER_WAY = "claimed"  # a ledger entry a sender holds: counted only for campaigns before shards
FINAL_STATES = frozenset(o.value for o in SendOutcome)


def count(
    table: Table, tally: Tally, campaign: Campaign, time_left: Callable[[], float] | None = None
) -> Counts:
    """Planned recipients and outcomes per audience: a few small reads, whatever the
    campaign's size. OutOfTimeError if they would outlast the invocation."""
    if campaign.ledger_shards == 0:
        return _count_partition(table, campaign, time_left)
    counts: Counts = {a: dict.fromkeys(COUNTED, 0) for a in campaign.audiences}
    for item in table.query(
        action="counting a campaign",
        KeyConditionExpression=Key("pk").eq(campaign.pk) & Key("sk").begins_with(CHECKPOINT_PREFIX),
        ConsistentRead=True,
    ):
        _count_item(counts, item)
    for audience, tallied in tally.read(campaign, time_left).items():
        row = counts.setdefault(audience, dict.fromkeys(COUNTED, 0))
        for outcome, n in tallied.items():
            row[outcome] = row.get(outcome, 0) + n
    return counts


def _count_partition(
    table: Table, campaign: Campaign, time_left: Callable[[], float] | None
) -> Counts:
    """Count a campaign from before the shards from its partition: checkpoints, ledger
    entries (claims too) and moved markers."""
    counts: Counts = {a: dict.fromkeys(COUNTED, 0) for a in campaign.audiences}
    # A million entries take many pages: stop before a Lambda runs out of time, rather than
    # be killed and have SQS deliver the batch again.
    for entry in table.query(
        action="counting a campaign",
        time_left=time_left,
        margin=COUNT_MARGIN,
        KeyConditionExpression=Key("pk").eq(campaign.pk),
        ProjectionExpression="sk, #state, audience, planned",
        ExpressionAttributeNames={"#state": "state"},
        ConsistentRead=True,
    ):
        _count_item(counts, entry)
    return counts


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
