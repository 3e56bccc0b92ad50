"""Putting into the sparse index listed-by-time the campaign records and SES event markers
written before it existed: a scan, once, after the first deploy with the index."""

from __future__ import annotations

from boto3.dynamodb.conditions import Attr

from mailer.aws.table import Table
from mailer.errors import ConflictError
from mailer.subscribers.ses_events import LISTED_SES_EVENT, SES_EVENT_PREFIX

from .keys import LISTED_CAMPAIGN, META


def list_unlisted(table: Table) -> int:
    """Give every campaign record and SES event marker without "listed" its listing; safe to
    run again, and beside live writes (each update is conditional). How many it added."""
    added = 0
    unlisted = (Attr("sk").eq(META) | Attr("pk").begins_with(SES_EVENT_PREFIX)) & Attr(
        "listed"
    ).not_exists()
    for item in table.scan(action="finding unlisted items", FilterExpression=unlisted):
        is_record = item["sk"] == META
        kind = LISTED_CAMPAIGN if is_record else LISTED_SES_EVENT
        at = str(item.get("started_at" if is_record else "at", ""))
        try:
            table.update(
                {"pk": item["pk"], "sk": item["sk"]},
                action="listing an item",
                expression="SET listed = :listed, listed_at = :at",
                condition=Attr("pk").exists() & Attr("listed").not_exists(),
                values={":listed": kind, ":at": at},
            )
        except ConflictError:
            continue  # listed meanwhile, or gone (TTL)
        added += 1
    return added
