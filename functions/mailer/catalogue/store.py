"""The catalogue's run-time store in DynamoDB, and the idempotent sync from catalogue/ files."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

from boto3.dynamodb.conditions import Attr

from mailer.aws.table import Table
from mailer.errors import ConflictError

from .schema import Catalogue, Resource, Vocabulary

# Where a stored resource came from. Sync manages only what came from the files: a resource
# staff added or edited in the console is theirs, and sync never overwrites or removes it
# (`mailer catalogue export` writes the store back to files so the repository can follow).
SOURCE_FILES = "catalogue-files"
SOURCE_CONSOLE = "console"
# Awareness days share the table (days_store.py); their keys carry this prefix, never a slug's.
DAY_PREFIX = "awareness-day#"

# Who may put words in front of subscribers: a resource saved by a member outside `senders` is
# "unreviewed" until a sender saves it or approves a campaign featuring it, and until then only
# its last reviewed version (if any) may reach a subscriber unapproved (issue 16). Files in the
# repository are reviewed by the people who merge them. "keep": a retire or restore, which
# changes no words, leaves the review state as it is.
Review = Literal["sender", "member", "keep"]


@dataclass(frozen=True)
class Unreviewed:
    """A resource a member outside `senders` added or changed, not yet seen by a sender."""

    change: str  # "added" or "changed"
    by: str  # the member's address (staff addresses are not subscriber data)
    revision: int  # the stored revision this describes (a later save changes it)
    reviewed: Resource | None  # the last version a sender saw; None for an addition


@dataclass(frozen=True)
class StoredResource:
    """A resource as stored: whether it is retired, and whether a sender has seen it as it is."""

    resource: Resource
    retired: bool = False
    revision: int = 0
    unreviewed: Unreviewed | None = None


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

    def __init__(self, table: Table) -> None:
        self._table = table

    def items(self) -> list[dict[str, Any]]:
        """Every stored resource (the catalogue is small: hundreds of items, not millions),
        leaving out the awareness days that share the table."""
        return list(
            self._table.scan(
                action="reading the catalogue", FilterExpression=~Attr("id").begins_with(DAY_PREFIX)
            )
        )

    def resources(self, vocabulary: Vocabulary, *, retired: bool = False) -> list[Resource]:
        """Every stored resource, validated against the vocabulary (retired ones only if asked)."""
        return [r for r, is_retired in self.with_retired(vocabulary) if retired or not is_retired]

    def with_retired(self, vocabulary: Vocabulary) -> list[tuple[Resource, bool]]:
        """Every stored resource and whether it is retired (kept, but shown nowhere and sent
        to no one), in one read of the table."""
        return [(s.resource, s.retired) for s in self.stored(vocabulary)]

    def stored(self, vocabulary: Vocabulary) -> list[StoredResource]:
        """Every stored resource with its retirement and review state, in one read."""
        return [_stored(item, vocabulary) for item in self.items()]

    def get(self, resource_id: str, vocabulary: Vocabulary) -> tuple[Resource, bool] | None:
        """One stored resource and whether it is retired, or None."""
        found = self.get_stored(resource_id, vocabulary)
        return (found.resource, found.retired) if found else None

    def get_stored(self, resource_id: str, vocabulary: Vocabulary) -> StoredResource | None:
        """One stored resource with its retirement and review state, or None."""
        item = self._item(resource_id)
        return _stored(item, vocabulary) if item else None

    def _item(self, resource_id: str) -> dict[str, Any] | None:
        return self._table.get({"id": resource_id}, action="reading a resource", consistent=True)

    def save(
        self,
        resource: Resource,
        *,
        retired: bool = False,
        review: Review = "sender",
        member: str = "",
    ) -> None:
        """Store a resource as staff wrote it in the console (sync leaves it alone from now).

        `review` says whose words these are: a sender's are reviewed; a member's (`member`)
        stay unreviewed, keeping the last reviewed version beside them; "keep" (retire, restore)
        leaves the review state as it was. Each save is the next revision, written only if the
        revision read is still the stored one, so two saves at once cannot lose a review."""
        current = self._item(resource.id)
        revision = int(current.get("revision", 0)) if current else 0
        item: dict[str, Any] = {
            **resource.to_item(),
            "source": SOURCE_CONSOLE,
            "revision": revision + 1,
        }
        if retired:
            item["retired"] = True
        if review == "keep" and current is not None:
            item.update({k: current[k] for k in _REVIEW_FIELDS if k in current})
        elif review == "member":
            item.update(_unreviewed_fields(current), unreviewed_by=member)
        condition = "attribute_not_exists(id)" if current is None else "#r = :r"
        names = {} if current is None else {"#r": "revision"}
        values = {} if current is None else {":r": revision}
        if current is not None and "revision" not in current:
            condition, names, values = "attribute_not_exists(revision)", {}, {}
        self._table.put(
            item, action="saving a resource", condition=condition, names=names, values=values
        )

    def mark_reviewed(self, resource_id: str, revision: int) -> bool:
        """A sender approved this revision: it is reviewed, unless it changed since (then the
        newer words still wait for a sender). True if marked."""
        try:
            self._table.update(
                {"id": resource_id},
                action="marking a resource reviewed",
                expression="REMOVE " + ", ".join(_REVIEW_FIELDS),
                condition="#r = :r",
                names={"#r": "revision"},
                values={":r": revision},
            )
        except ConflictError:
            return False
        return True

    def sync(self, catalogue: Catalogue) -> SyncReport:
        """Make the table match the files: add, update, and remove file-sourced resources."""
        report = SyncReport()
        stored = {item["id"]: item for item in self.items()}
        wanted = {r.id: {**r.to_item(), "source": SOURCE_FILES} for r in catalogue.resources}
        with self._table.batch_write(action="syncing the catalogue") as batch:
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


_REVIEW_FIELDS = ("unreviewed_by", "unreviewed_change", "reviewed_copy")


def _unreviewed_fields(current: dict[str, Any] | None) -> dict[str, Any]:
    """The review attributes of a member's save over `current` (None: a new resource)."""
    if current is None:
        return {"unreviewed_change": "added"}
    if "unreviewed_change" in current:  # still unreviewed: the last reviewed version stays
        return {k: current[k] for k in ("unreviewed_change", "reviewed_copy") if k in current}
    fields = {k: v for k, v in current.items() if k in Resource.model_fields}
    return {"unreviewed_change": "changed", "reviewed_copy": json.dumps(fields, sort_keys=True)}


def _stored(item: dict[str, Any], vocabulary: Vocabulary) -> StoredResource:
    unreviewed = None
    if item.get("unreviewed_change"):
        copy = item.get("reviewed_copy")
        unreviewed = Unreviewed(
            change=str(item["unreviewed_change"]),
            by=str(item.get("unreviewed_by", "")),
            revision=int(item.get("revision", 0)),
            reviewed=_resource(json.loads(copy), vocabulary) if copy else None,
        )
    return StoredResource(
        _resource(item, vocabulary),
        bool(item.get("retired")),
        int(item.get("revision", 0)),
        unreviewed,
    )


def _resource(item: dict[str, Any], vocabulary: Vocabulary) -> Resource:
    fields = set(Resource.model_fields)
    # "stored": text saved before the rule on characters that break emails is cleaned, not
    # refused (schema._text), so an old item never stops the pages and sends that read it.
    return Resource.model_validate(
        {k: v for k, v in item.items() if k in fields},
        context={"vocabulary": vocabulary, "stored": True},
    )
