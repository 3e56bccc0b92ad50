"""A campaign's snapshot: everything its emails are made from, frozen when it is approved.

The campaign record carries it, so every sender, in every container, renders from the same
words: an edit saved to the catalogue after approval never reaches an approved campaign.
It holds each resource the campaign may show, field by field as it was, and the subjects staff
chose per group. It lives in the campaign record itself, so it must stay well inside
DynamoDB's 400 KB item limit: SNAPSHOT_LIMIT leaves room for the record's other attributes.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mailer.catalogue.schema import Resource
from mailer.errors import MailerError

SNAPSHOT_LIMIT = 300_000  # bytes of JSON; a resource is about 1 KB, so some 300 resources


class SnapshotTooLargeError(MailerError):
    """The campaign would show more than one record can freeze."""


@dataclass(frozen=True)
class Snapshot:
    """The resources a campaign shows, as they were, and each group's approved subject."""

    resources: tuple[Resource, ...]
    subjects: Mapping[str, str] = field(default_factory=dict)  # audience -> subject ("" = ours)
    # Digests from a draft (digests.py): each group's featured resources in the order staff
    # chose, and those staff took out of it (never shown to that group, not even as a filler).
    # Empty for announcements, and for digests frozen before drafts: the date rule picks.
    features: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    left_out: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    frozen_at: str = ""  # when it was frozen (ISO, UTC): what was added after waits a month
    # staff's editorial notes in Markdown (emails/notes.py), per group; "*": for every group
    notes: Mapping[str, str] = field(default_factory=dict)
    # digests: each group's awareness days coming up ({"name", "on", "line"}), soonest first
    days: Mapping[str, tuple[Mapping[str, str], ...]] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        resources: Iterable[Resource],
        subjects: Mapping[str, str] | None = None,
        *,
        features: Mapping[str, Iterable[str]] | None = None,
        left_out: Mapping[str, Iterable[str]] | None = None,
        frozen_at: str = "",
        notes: Mapping[str, str] | None = None,
        days: Mapping[str, Iterable[Mapping[str, str]]] | None = None,
    ) -> Snapshot:
        """Freeze these resources (copies: Resource is immutable), subjects, choices, notes."""
        return cls(
            tuple(resources),
            {a: s for a, s in (subjects or {}).items() if s},
            {a: tuple(ids) for a, ids in (features or {}).items()},
            {a: tuple(ids) for a, ids in (left_out or {}).items() if ids},
            frozen_at,
            {a: n for a, n in (notes or {}).items() if n.strip()},
            {a: tuple(dict(d) for d in ds) for a, ds in (days or {}).items()},
        )

    def note_for(self, audience: str) -> str:
        """The group's own note, else the note for every group, else none (Markdown)."""
        return self.notes.get(audience) or self.notes.get("*", "")

    def subject_for(self, audience: str) -> str:
        """The subject staff approved for this group, or "" for the generated one."""
        return self.subjects.get(audience, "")

    def to_json(self) -> str:
        """Compact JSON for the campaign record; SnapshotTooLargeError past the limit."""
        data: dict[str, Any] = {
            "resources": [r.to_item() for r in self.resources],
            "subjects": dict(self.subjects),
        }
        if self.features:
            data["features"] = {a: list(ids) for a, ids in self.features.items()}
        if self.left_out:
            data["left_out"] = {a: list(ids) for a, ids in self.left_out.items()}
        if self.frozen_at:
            data["frozen_at"] = self.frozen_at
        if self.notes:
            data["notes"] = dict(self.notes)
        if self.days:
            data["days"] = {a: list(ds) for a, ds in self.days.items()}
        text = json.dumps(
            data,
            ensure_ascii=False,
            separators=(",", ":"),
            sort_keys=True,
        )
        if len(text.encode("utf-8")) > SNAPSHOT_LIMIT:
            raise SnapshotTooLargeError(
                f"this campaign shows {len(self.resources)} resources, more than one campaign "
                f"record can keep ({SNAPSHOT_LIMIT // 1000} KB): retire some, or split it"
            )
        return text

    @classmethod
    def from_json(cls, text: str) -> Snapshot:
        """Read a stored snapshot back, as it was: not checked again against today's lists,
        which may have changed since (what was approved is what is sent)."""
        data = json.loads(text)
        return cls(
            tuple(_resource(item) for item in data.get("resources", ())),
            dict(data.get("subjects", {})),
            {a: tuple(ids) for a, ids in data.get("features", {}).items()},
            {a: tuple(ids) for a, ids in data.get("left_out", {}).items()},
            str(data.get("frozen_at", "")),
            dict(data.get("notes", {})),
            {a: tuple(ds) for a, ds in data.get("days", {}).items()},
        )


def _resource(item: Mapping[str, Any]) -> Resource:
    """A stored resource, rebuilt without validation (it was valid when it was frozen)."""
    fields = dict(item)
    fields["audiences"] = tuple(fields.get("audiences", ()))
    fields["topics"] = tuple(fields.get("topics", ()))
    fields["added"] = dt.date.fromisoformat(str(fields["added"]))
    return Resource.model_construct(**fields)
