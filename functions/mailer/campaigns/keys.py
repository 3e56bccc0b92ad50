"""Every item kind in the campaigns table, and the one place their keys are built.

The table has a string partition key `pk` and sort key `sk`. Items of one campaign share the
partition "campaign#<campaign id>", for example "campaign#digest#2026-12" or
"campaign#announcement#safe-homes":

  sk "meta"                       the campaign record: definition, times, counts (no expiry)
  sk "checkpoint#<audience>"      where the planner got to in that audience (planner.py)
  sk "ledger#<subscriber key>"    one subscriber's send, claimed then final (ledger.py)
  sk "moved#<audience>#<key>"     a second job for someone already handled under another
                                  audience, counted skipped once (ledger.py)

Outside any campaign:

  pk "ses-event#<SES feedback id>", sk "processed"
                                  an SES bounce or complaint already acted on, so a
                                  redelivered event is ignored; expires after 30 days (TTL)

Counts on the campaign record are top-level numbers named "count#<audience>#<outcome>", plus
"total#planned" and "total#done"; they only change in the same transaction as the item they
count, so a retried step never counts twice. TTL (`expires_at`) applies to final ledger entries
and SES event markers only.
"""

from __future__ import annotations

from typing import Any

META = "meta"
TOTAL_PLANNED = "total#planned"
TOTAL_DONE = "total#done"
PLANNED = "planned"


def campaign_pk(campaign_id: str) -> str:
    """The partition key shared by every item of one campaign."""
    return f"campaign#{campaign_id}"


def meta_key(campaign_id: str) -> dict[str, str]:
    """The key of a campaign's record."""
    return {"pk": campaign_pk(campaign_id), "sk": META}


def checkpoint_sk(audience: str) -> str:
    """The sort key of the planner's checkpoint in one audience."""
    return f"checkpoint#{audience}"


def ledger_sk(subscriber_key: str) -> str:
    """The sort key of one subscriber's ledger entry."""
    return f"ledger#{subscriber_key}"


def subscriber_of_ledger_sk(sk: str) -> str:
    """The subscriber key inside a ledger entry's sort key."""
    return sk.removeprefix("ledger#")


def moved_sk(audience: str, subscriber_key: str) -> str:
    """The sort key of the marker that counts a moved subscriber's second job once."""
    return f"moved#{audience}#{subscriber_key}"


def ses_event_key(event_id: str) -> dict[str, str]:
    """The key of the marker that says an SES event was acted on."""
    return {"pk": f"ses-event#{event_id}", "sk": "processed"}


def count_name(audience: str, outcome: str) -> str:
    """The campaign record's attribute counting one outcome in one audience."""
    return f"count#{audience}#{outcome}"


def parse_count_name(name: str) -> tuple[str, str] | None:
    """(audience, outcome) of a count attribute, or None for any other attribute."""
    parts = name.split("#")
    if len(parts) == 3 and parts[0] == "count":
        return parts[1], parts[2]
    return None


def count_update(campaign_id: str, audience: str, outcome: str, delta: int = 1) -> dict[str, Any]:
    """A transaction item adding delta to one count and its total on the campaign record."""
    total = TOTAL_PLANNED if outcome == PLANNED else TOTAL_DONE
    return {
        "Update": {
            "Key": meta_key(campaign_id),
            "UpdateExpression": "ADD #count :delta, #total :delta",
            "ConditionExpression": "attribute_exists(pk)",
            "ExpressionAttributeNames": {"#count": count_name(audience, outcome), "#total": total},
            "ExpressionAttributeValues": {":delta": delta},
        }
    }
