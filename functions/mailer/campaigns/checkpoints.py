"""The planner's checkpoints: where planning stands in each audience of a campaign, one item
per audience beside the campaign record (keys.py), never the record itself, which senders
read."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from mailer.aws.table import Table

from .keys import checkpoint_sk
from .model import Campaign, Checkpoint, now_iso


class Checkpoints:
    """Reads and advances planner checkpoints in the campaigns table."""

    def __init__(self, table: Table, clock: Callable[[], float] = time.time) -> None:
        self._table = table
        self._clock = clock

    def get(self, campaign: Campaign, audience: str) -> Checkpoint:
        """Where planning stands in one audience (a fresh checkpoint if it has not started)."""
        item = self._table.get(
            {"pk": campaign.pk, "sk": checkpoint_sk(audience)},
            action="reading a checkpoint",
            consistent=True,
        )
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
        to the audience's own checkpoint.

        The write is conditional on the page number read, so if two planners race over the same
        page only one advances and counts it; the loser gets ConflictError and re-reads.
        """
        advanced = checkpoint.advanced(next_start, recipients)
        first = checkpoint.pages == 0
        self._table.update(
            {"pk": campaign.pk, "sk": checkpoint_sk(checkpoint.audience)},
            action="recording planner progress",
            expression=(
                "SET pages = :next_pages, next_start = :start, done = :done, "
                "planned = :planned, updated_at = :now"
            ),
            condition="attribute_not_exists(sk)" if first else "pages = :pages",
            values={
                ":next_pages": advanced.pages,
                ":start": next_start,
                ":done": advanced.done,
                ":planned": advanced.planned,
                ":now": now_iso(self._clock),
                **({} if first else {":pages": checkpoint.pages}),
            },
        )
        return advanced
