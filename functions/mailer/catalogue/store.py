"""The catalogue's run-time store in DynamoDB, and the idempotent sync from catalogue/ files."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from boto3.dynamodb.conditions import Attr

from mailer.aws.translate import aws_errors

from .schema import Catalogue, Resource, Vocabulary

# Where a stored resource came from. Sync manages only what came from the files: a resource
# staff added or edited in the console is theirs, and sync never overwrites or removes it
# (`mailer catalogue export` writes the store back to files so the repository can follow).
SOURCE_FILES = "catalogue-files"
SOURCE_CONSOLE = "console"
# Awareness days share the table (days_store.py); their keys carry this prefix, never a slug's.
DAY_PREFIX = "awareness-day#"


@dataclass
class SyncReport:
    """What a sync changed, by resource id."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    kept: list[str] = field(default_factory=list)  # edited by staff: the store's version stays

    def summary(self) -> str:
        """One line for people: "added 1, updated 0, removed 0, unchanged 15"."""
        line = (
            f"added {len(self.added)}, updated {len(self.updated)}, "
            f"removed {len(self.removed)}, unchanged {self.unchanged}"
        )
        return line + (f", kept {len(self.kept)} edited by staff" if self.kept else "")


class CatalogueStore:
    """Reads and writes resources in the catalogue table."""

    def __init__(self, table: Any) -> None:
        self._table = table

    def items(self) -> list[dict[str, Any]]:
        """Every stored resource (the catalogue is small: hundreds of items, not millions),
        leaving out the awareness days that share the table."""
        items: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"FilterExpression": ~Attr("id").begins_with(DAY_PREFIX)}
        with aws_errors("reading the catalogue"):
            while True:
                page = self._table.scan(**kwargs)
                items.extend(page["Items"])
                if "LastEvaluatedKey" not in page:
                    return items
                kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def resources(self, vocabulary: Vocabulary, *, retired: bool = False) -> list[Resource]:
        """Every stored resource, validated against the vocabulary (retired ones only if asked)."""
        return [r for r, is_retired in self.with_retired(vocabulary) if retired or not is_retired]

    def with_retired(self, vocabulary: Vocabulary) -> list[tuple[Resource, bool]]:
        """Every stored resource and whether it is retired (kept, but shown nowhere and sent
        to no one), in one read of the table."""
        return [(_resource(item, vocabulary), bool(item.get("retired"))) for item in self.items()]

    def get(self, resource_id: str, vocabulary: Vocabulary) -> tuple[Resource, bool] | None:
        """One stored resource and whether it is retired, or None."""
        with aws_errors("reading a resource"):
            item = self._table.get_item(Key={"id": resource_id}, ConsistentRead=True).get("Item")
        return (_resource(item, vocabulary), bool(item.get("retired"))) if item else None

    def save(self, resource: Resource, *, retired: bool = False) -> None:
        """Store a resource as staff wrote it in the console (sync leaves it alone from now)."""
        item = {**resource.to_item(), "source": SOURCE_CONSOLE}
        if retired:
            item["retired"] = True
        with aws_errors("saving a resource"):
            self._table.put_item(Item=item)

    def sync(self, catalogue: Catalogue) -> SyncReport:
        """Make the table match the files: add, update, and remove file-sourced resources."""
        report = SyncReport()
        stored = {item["id"]: item for item in self.items()}
        wanted = {r.id: {**r.to_item(), "source": SOURCE_FILES} for r in catalogue.resources}
        with aws_errors("syncing the catalogue"), self._table.batch_writer() as batch:
            for resource_id, item in wanted.items():
                current = stored.get(resource_id)
                if current is not None and current.get("source") == SOURCE_CONSOLE:
                    report.kept.append(resource_id)
                    continue
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


def _resource(item: dict[str, Any], vocabulary: Vocabulary) -> Resource:
    fields = set(Resource.model_fields)
    # "stored": text saved before the rule on characters that break emails is cleaned, not
    # refused (schema._text), so an old item never stops the pages and sends that read it.
    return Resource.model_validate(
        {k: v for k, v in item.items() if k in fields},
        context={"vocabulary": vocabulary, "stored": True},
    )
