"""Jobs parked while their campaign was paused ("parked#<key>" in its shards, keys.py): read a
page at a time when it resumes (or is cancelled), and forgotten once back on the queue."""

from __future__ import annotations

from typing import Any

from boto3.dynamodb.conditions import Key

from mailer.aws.table import Table

from .keys import PARKED_PREFIX
from .model import Campaign


class ParkedJobs:
    """Parked jobs in the campaigns table (the ledger parks them: ledger.py)."""

    def __init__(self, table: Table) -> None:
        self._table = table

    def page(self, campaign: Campaign, limit: int = 500) -> list[dict[str, Any]]:
        """Up to `limit` of the jobs parked while the campaign was paused, shard by shard (the
        first ones left: requeued jobs are forgotten, so the next page starts where this one
        ended)."""
        parked: list[dict[str, Any]] = []
        for pk in campaign.ledger_partitions:
            items, _ = self._table.query_page(
                action="reading parked jobs",
                KeyConditionExpression=Key("pk").eq(pk) & Key("sk").begins_with(PARKED_PREFIX),
                ConsistentRead=True,
                Limit=limit - len(parked),
            )
            parked += items
            if len(parked) >= limit:
                break
        return parked

    def forget(self, parked: list[dict[str, Any]]) -> None:
        """Delete parked jobs (as `page` gave them) once they are back on the queue."""
        with self._table.batch_write(action="forgetting parked jobs") as batch:
            for item in parked:
                batch.delete_item(Key={"pk": item["pk"], "sk": item["sk"]})
