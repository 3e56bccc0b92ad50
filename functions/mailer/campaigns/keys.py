"""Every item kind in the campaigns table, and the one place their keys are built.

The table has a string partition key `pk` and sort key `sk`. Items of one campaign share the
partition "campaign#<campaign id>", for example "campaign#digest#2026-12" or
"campaign#announcement#safe-homes":

  sk "meta"                       the campaign record: definition, times, counts (no expiry)
  sk "checkpoint#<audience>"      where the planner got to in that audience (planner.py)
  sk "ledger#<subscriber key>"    one subscriber's send, claimed then final (ledger.py)
  sk "parked#<key>"               a job that arrived while the campaign was paused; resuming
                                  (or cancelling) puts it back on the queue (planner.py)
  sk "moved#<audience>#<key>"     a second job for someone already handled under another
                                  audience, counted skipped once (ledger.py)

Outside any campaign:

  pk "archive#<audience>", sk "<slug>"
                                  one group's email of a campaign in the public archive
                                  (archive.py): written once when the campaign starts, so
                                  the public pages read one partition, never a campaign's
                                  record or ledger (the web role may read only these)

  pk "ses-event#<SES feedback id>", sk "processed"
                                  an SES bounce or complaint already acted on, so a
                                  redelivered event is ignored; expires after 30 days (TTL)

No item is written by every send: a campaign's counts are counted from its ledger entries,
"moved" markers and checkpoints (each checkpoint carries "planned", its audience's recipients
queued so far) when the status is read, and stored on the campaign record, as a map "counts"
(audience -> outcome -> number), once when the campaign finishes, since TTL later deletes the
ledger entries. So concurrent senders never write the same item, and DynamoDB has nothing to
reject with TransactionConflict. TTL (`expires_at`) applies to final ledger entries and SES
event markers only.
"""

from __future__ import annotations

META = "meta"
LEDGER_PREFIX = "ledger#"
MOVED_PREFIX = "moved#"
PARKED_PREFIX = "parked#"
CHECKPOINT_PREFIX = "checkpoint#"
PLANNED = "planned"


def campaign_pk(campaign_id: str) -> str:
    """The partition key shared by every item of one campaign."""
    return f"campaign#{campaign_id}"


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


def ses_event_key(event_id: str) -> dict[str, str]:
    """The key of the marker that says an SES event was acted on."""
    return {"pk": f"ses-event#{event_id}", "sk": "processed"}


def audience_of_moved_sk(sk: str) -> str:
    """The audience inside a moved marker's sort key."""
    return sk.removeprefix(MOVED_PREFIX).partition("#")[0]
