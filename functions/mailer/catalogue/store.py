"""The catalogue's run-time store in DynamoDB, and the idempotent sync from catalogue/ files."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mailer.aws.translate import aws_errors

from .schema import Catalogue, Resource, Vocabulary

# Resources staff add in the console live only in the table; sync must never delete them.
SOURCE_FILES = "catalogue-files"


@dataclass
class SyncReport:
    """What a sync changed, by resource id."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0

    def summary(self) -> str:
        """One line for people: "added 1, updated 0, removed 0, unchanged 15"."""
        return (
            f"added {len(self.added)}, updated {len(self.updated)}, "
            f"removed {len(self.removed)}, unchanged {self.unchanged}"
        )


class CatalogueStore:
    """Reads and writes resources in the catalogue table."""

    def __init__(self, table: Any) -> None:
        self._table = table

    def items(self) -> list[dict[str, Any]]:
        """Every stored item (the catalogue is small: hundreds of items, not millions)."""
        items: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {}
        with aws_errors("reading the catalogue"):
            while True:
                page = self._table.scan(**kwargs)
                items.extend(page["Items"])
                if "LastEvaluatedKey" not in page:
                    return items
                kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def resources(self, vocabulary: Vocabulary) -> list[Resource]:
        """Every stored resource, validated against the vocabulary."""
        fields = set(Resource.model_fields)
        return [
            Resource.model_validate(
                {k: v for k, v in item.items() if k in fields}, context={"vocabulary": vocabulary}
            )
            for item in self.items()
        ]

    def sync(self, catalogue: Catalogue) -> SyncReport:
        """Make the table match the files: add, update, and remove file-sourced resources."""
        report = SyncReport()
        stored = {item["id"]: item for item in self.items()}
        wanted = {r.id: {**r.to_item(), "source": SOURCE_FILES} for r in catalogue.resources}
        with aws_errors("syncing the catalogue"), self._table.batch_writer() as batch:
            for resource_id, item in wanted.items():
                current = stored.get(resource_id)
                if current == item:
                    report.unchanged += 1
                    continue
                batch.put_item(Item=item)
                (report.updated if current else report.added).append(resource_id)
            for resource_id, item in stored.items():
                if resource_id not in wanted and item.get("source") == SOURCE_FILES:
                    batch.delete_item(Key={"id": resource_id})
                    report.removed.append(resource_id)
        return report
