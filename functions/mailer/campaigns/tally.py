"""A campaign's outcomes counted as sending goes, so no count ever reads its ledger.

Every change of a ledger entry's outcome (ledger.py) adds to a tally in the same transaction:
+1 to the outcome an entry reaches, -1 to "failed" when a failed entry is claimed again. Each
sending thread keeps its own tally item in each shard partition ("count#<process>.<slot>",
keys.py), so two transactions never write one item at once (DynamoDB would cancel one with
TransactionConflict) and the writes spread with the ledger's. Reading the counts is one Query
per shard over those items: a few hundred small items, whatever the campaign's size.
"""

from __future__ import annotations

import itertools
import threading
import uuid
from collections.abc import Callable
from typing import Any

from boto3.dynamodb.conditions import Key

from mailer.aws.table import Table

from .keys import COUNTER_PREFIX, counter_sk
from .model import Campaign

Counts = dict[str, dict[str, int]]  # audience -> outcome (or "planned") -> number
CELL_SEPARATOR = "/"  # a tally's attribute "<audience>/<outcome>"
COUNT_MARGIN = 3.0  # seconds: with less left, stop counting (OutOfTimeError)


def cell(audience: str, outcome: str) -> str:
    """The tally attribute that counts one outcome in one audience."""
    return f"{audience}{CELL_SEPARATOR}{outcome}"


class Tally:
    """This process's tallies: one writer per thread, read back summed over every writer."""

    def __init__(self, table: Table) -> None:
        self._table = table
        # A fresh id per process: a warm Lambda's threads keep their slots for its whole life,
        # so a campaign has about as many tallies per shard as threads ever sent for it.
        self._process = uuid.uuid4().hex[:12]
        self._slots = itertools.count()
        self._local = threading.local()

    def writer(self) -> str:
        """This thread's writer id (its slot is taken on first use and kept)."""
        slot = getattr(self._local, "slot", None)
        if slot is None:
            slot = self._local.slot = next(self._slots)
        return f"{self._process}.{slot}"

    def add(self, pk: str, audience: str, outcome: str, n: int = 1) -> dict[str, Any]:
        """The transaction item adding n to this thread's count of an outcome in partition pk."""
        return {
            "Update": {
                "Key": {"pk": pk, "sk": counter_sk(self.writer())},
                "UpdateExpression": "ADD #cell :n",
                "ExpressionAttributeNames": {"#cell": cell(audience, outcome)},
                "ExpressionAttributeValues": {":n": n},
            }
        }

    def read(self, campaign: Campaign, time_left: Callable[[], float] | None = None) -> Counts:
        """Every writer's tallies of the campaign summed per audience and outcome (strongly
        consistent, so an outcome recorded before the call is in it)."""
        counts: Counts = {}
        for pk in campaign.ledger_partitions:
            for item in self._table.query(
                action="counting a campaign",
                time_left=time_left,
                margin=COUNT_MARGIN,
                KeyConditionExpression=Key("pk").eq(pk) & Key("sk").begins_with(COUNTER_PREFIX),
                ConsistentRead=True,
            ):
                _add_cells(counts, item)
        return counts


def _add_cells(counts: Counts, item: dict[str, Any]) -> None:
    """Add one tally item's cells to the counts."""
    for name, value in item.items():
        audience, separator, outcome = name.partition(CELL_SEPARATOR)
        if separator:
            row = counts.setdefault(audience, {})
            row[outcome] = row.get(outcome, 0) + int(value)
