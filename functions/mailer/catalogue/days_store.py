"""Awareness days in the catalogue table, beside the resources and stored the same way: the
days file synced in (`mailer catalogue sync`), staff's own additions and edits kept as the
console's, which sync never overwrites or removes. Their ids carry a prefix, so no resource
and no day can ever share a key."""

from __future__ import annotations

from typing import Any

from boto3.dynamodb.conditions import Attr

from mailer.aws.table import Table

from .awareness import AwarenessDay
from .schema import ID_MAX, ID_PATTERN, Vocabulary
from .store import DAY_PREFIX, SOURCE_CONSOLE, SOURCE_FILES, SyncReport


class AwarenessDayStore:
    """Reads and writes awareness days in the catalogue table."""

    def __init__(self, table: Table) -> None:
        self._table = table

    def _items(self) -> list[dict[str, Any]]:
        return list(
            self._table.scan(
                action="reading the awareness days",
                FilterExpression=Attr("id").begins_with(DAY_PREFIX),
            )
        )

    def days(self, vocabulary: Vocabulary) -> list[AwarenessDay]:
        """Every stored day, soonest in the calendar year first."""
        days = [_day(item, vocabulary) for item in self._items()]
        return sorted(days, key=lambda d: (d.date.isoformat()[5:] if d.date else d.yearly, d.id))

    def get(self, day_id: str, vocabulary: Vocabulary) -> AwarenessDay | None:
        """One stored day, or None (an id that is no slug is never looked up)."""
        if len(day_id) > ID_MAX or not ID_PATTERN.match(day_id):
            return None
        found = self._table.get(
            {"id": DAY_PREFIX + day_id}, action="reading an awareness day", consistent=True
        )
        return _day(found, vocabulary) if found else None

    def save(self, day: AwarenessDay) -> None:
        """Store a day as staff wrote it in the console (sync leaves it alone from now on)."""
        self._table.put(_item(day, SOURCE_CONSOLE), action="saving an awareness day")

    def sync(self, days: list[AwarenessDay]) -> SyncReport:
        """Make the stored days match the file: add, update, and remove file-sourced days."""
        report = SyncReport()
        stored = {item["id"]: item for item in self._items()}
        wanted = {DAY_PREFIX + d.id: _item(d, SOURCE_FILES) for d in days}
        with self._table.batch_write(action="syncing the awareness days") as batch:
            for key, item in wanted.items():
                current = stored.get(key)
                if current is not None and current.get("origin") == SOURCE_CONSOLE:
                    report.kept.append(item["day_id"])
                elif current == item:
                    report.unchanged += 1
                else:
                    batch.put_item(Item=item)
                    (report.updated if current else report.added).append(item["day_id"])
            for key, item in stored.items():
                if key not in wanted and item.get("origin") == SOURCE_FILES:
                    batch.delete_item(Key={"id": key})
                    report.removed.append(key.removeprefix(DAY_PREFIX))
        return report


def _item(day: AwarenessDay, source: str) -> dict[str, Any]:
    fields = day.to_item()
    # "origin", not "source" as a resource has it: a day's own `source` names where its date
    # comes from.
    return {**fields, "id": DAY_PREFIX + day.id, "day_id": day.id, "origin": source}


def _day(item: dict[str, Any], vocabulary: Vocabulary) -> AwarenessDay:
    fields = {k: v for k, v in item.items() if k in AwarenessDay.model_fields}
    fields["id"] = item.get("day_id") or str(item["id"]).removeprefix(DAY_PREFIX)
    # "stored": text saved before a rule changed is cleaned rather than refused (schema._text).
    return AwarenessDay.model_validate(fields, context={"vocabulary": vocabulary, "stored": True})
