"""Every item kind in the campaigns table, and the one place their keys are built.

The table has a string partition key `pk` and sort key `sk`. A campaign's record and
checkpoints share the partition "campaign#<campaign id>", for example "campaign#digest#2026-12"
or "campaign#announcement#safe-homes":

  sk "meta"                       the campaign record: definition, times, counts (no expiry)
  sk "checkpoint#<audience>"      where the planner got to in that audience (planner.py)

What sending writes is spread over the campaign's LEDGER_SHARDS shard partitions,
"campaign#<campaign id>#shard#<nn>", a subscriber's shard fixed by their key, so at 1,000
emails a second no partition takes more than a fraction of DynamoDB's 1,000 write units a
second (one partition would take about 5,000):

  sk "ledger#<subscriber key>"    one subscriber's send, claimed then final (ledger.py)
  sk "parked#<key>"               a job that arrived while the campaign was paused; resuming
                                  (or cancelling) puts it back on the queue (planner.py)
  sk "moved#<audience>#<key>"     a second job for someone already handled under another
                                  audience, counted skipped once (ledger.py)
  sk "count#<writer>"             the outcomes one sending thread recorded in this shard
                                  (tally.py), added in the transaction that records each

Campaigns started before the shards (no "ledger_shards" on their record) keep their ledger
entries, parked jobs and moved markers in the record's own partition and are counted from them.

Outside any campaign:

  pk "archive#<audience>", sk "<slug>"
                                  one group's email of a campaign in the public archive
                                  (archive.py): written once when the campaign starts, so
                                  the public pages read one partition, never a campaign's
                                  record or ledger (the web role may read only these)

  pk "ses-event#<SES feedback id>", sk "processed"
                                  an SES bounce or complaint already acted on, so a
                                  redelivered event is ignored; expires after 30 days (TTL)
                                  (subscribers/ses_events.py, which keys them)

A campaign's counts are its checkpoints' "planned" plus its tallies: no count reads a ledger
entry, so finishing a campaign of a million costs the same few reads as one of ten. Each
sending thread writes only its own tally item, so no two transactions ever collide on one. The
counts are stored on the campaign record, as a map "counts" (audience -> outcome -> number),
once it finishes. TTL (`expires_at`) applies to final ledger entries and SES event markers.

Campaign records and SES event markers also carry "listed" and "listed_at", the keys of the
sparse index listed-by-time, so the campaigns list and the dashboard's bounce and complaint
counts query only those items and never scan past a ledger.
"""

from __future__ import annotations

import zlib

META = "meta"
LEDGER_PREFIX = "ledger#"
MOVED_PREFIX = "moved#"
PARKED_PREFIX = "parked#"
CHECKPOINT_PREFIX = "checkpoint#"
COUNTER_PREFIX = "count#"
PLANNED = "planned"
# A new campaign's shard partitions; stored on its record, so changing this never moves the
# entries of a campaign already sending.
LEDGER_SHARDS = 16
# Campaign records' kind in the sparse index listed-by-time, which SES event markers share (its
# name, the markers' kind and `listing`: subscribers/ses_events.py, below campaigns).
LISTED_CAMPAIGN = "campaign"


def campaign_pk(campaign_id: str) -> str:
    """The partition key shared by every item of one campaign."""
    return f"campaign#{campaign_id}"


def shard_pk(campaign_id: str, shard: int) -> str:
    """The partition key of one of a campaign's shards."""
    return f"{campaign_pk(campaign_id)}#shard#{shard:02d}"


def ledger_pk(campaign_id: str, shards: int, subscriber_key: str) -> str:
    """The partition of a subscriber's ledger entry, parked job and moved marker: their shard
    (crc32 of the key: stable across processes, unlike hash()), or the record's own partition
    for a campaign from before the shards (`shards` 0)."""
    if shards == 0:
        return campaign_pk(campaign_id)
    return shard_pk(campaign_id, zlib.crc32(subscriber_key.encode()) % shards)


def ledger_partitions(campaign_id: str, shards: int) -> list[str]:
    """Every partition that holds the campaign's ledger entries and tallies."""
    if shards == 0:
        return [campaign_pk(campaign_id)]
    return [shard_pk(campaign_id, shard) for shard in range(shards)]


def counter_sk(writer: str) -> str:
    """The sort key of one writer's tally in a shard."""
    return f"{COUNTER_PREFIX}{writer}"


def meta_key(campaign_id: str) -> dict[str, str]:
    """The key of a campaign's record."""
    return {"pk": campaign_pk(campaign_id), "sk": META}


def checkpoint_sk(audience: str) -> str:
    """The sort key of the planner's checkpoint in one audience."""
    return f"{CHECKPOINT_PREFIX}{audience}"


def ledger_sk(subscriber_key: str) -> str:
    """The sort key of one subscriber's ledger entry."""
    return f"{LEDGER_PREFIX}{subscriber_key}"


def subscriber_of_ledger_sk(sk: str) -> str:
    """The subscriber key inside a ledger entry's sort key."""
    return sk.removeprefix(LEDGER_PREFIX)


def parked_sk(subscriber_key: str) -> str:
    """The sort key of a job parked while its campaign was paused."""
    return f"{PARKED_PREFIX}{subscriber_key}"


def subscriber_of_parked_sk(sk: str) -> str:
    """The subscriber key inside a parked job's sort key."""
    return sk.removeprefix(PARKED_PREFIX)


def moved_sk(audience: str, subscriber_key: str) -> str:
    """The sort key of the marker that counts a moved subscriber's second job once."""
    return f"{MOVED_PREFIX}{audience}#{subscriber_key}"


ARCHIVE_PREFIX = "archive#"


def archive_pk(audience: str) -> str:
    """The partition of one group's archive: an item per campaign it was sent."""
    return f"{ARCHIVE_PREFIX}{audience}"


def audience_of_moved_sk(sk: str) -> str:
    """The audience inside a moved marker's sort key."""
    return sk.removeprefix(MOVED_PREFIX).partition("#")[0]
