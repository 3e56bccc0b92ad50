"""The digest draft's form: per group, a subject and the featured resources (keep or take out,
and a place in the order), resources taken out (put back), and one resource to add.

The form is built from the draft as its page showed it, so a field names only a group and a
resource that page listed; anything else posted is ignored, never stored.
"""

from __future__ import annotations

from typing import Any

from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, NumberRange, Optional

from mailer.campaigns.digests import DigestView, day_key
from mailer.catalogue.schema import Vocabulary
from mailer.emails.notes import NOTE_MAX

from .staff_forms import DraftVersionForm, staff_text


class DigestDraftForm(DraftVersionForm):
    """A digest draft as staff edit it (fields are added per group by digest_draft_form)."""

    view: DigestView

    def group_fields(self, audience: str) -> dict[str, Any]:
        """The group's fields: its subject, its featured rows, removed rows, and the add list."""
        group = self.view.groups[audience]
        return {
            "subject": self[_name("subject", audience)],
            "note": self[_name("note", audience)],
            "featured": [
                (f, self[_name("keep", audience, rid)], self[_name("place", audience, rid)])
                for f, rid in ((f, f.resource.id) for f in group.featured)
            ],
            "removed": [(r, self[_name("back", audience, r.id)]) for r in group.removed],
            "days": [(o, self[_name("day", audience, o.day.id)]) for o in group.days],
            "removed_days": [
                (o, self[_name("dayback", audience, o.day.id)]) for o in group.removed_days
            ],
            "add": self[_name("add", audience)],
        }

    def subjects(self) -> dict[str, str]:
        """The subjects typed, per group ("" keeps the generated one)."""
        return {
            a: " ".join((self[_name("subject", a)].data or "").split()) for a in self.view.groups
        }

    def notes(self) -> dict[str, str]:
        """The notes typed: "*" for every group, and each group's own (which replaces it)."""
        notes = {"*": (self["note__all"].data or "").strip()}
        notes.update({a: (self[_name("note", a)].data or "").strip() for a in self.view.groups})
        return {a: n for a, n in notes.items() if n}

    def choice(self) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
        """Each group's featured ids in the order asked (a place typed, else where it was;
        the added one last) and the ids taken out."""
        order: dict[str, list[str]] = {}
        removed: dict[str, list[str]] = {}
        for audience, group in self.view.groups.items():
            kept: list[tuple[int, int, str]] = []
            out = {r.id for r in group.removed}
            for index, feature in enumerate(group.featured):
                rid = feature.resource.id
                if not self[_name("keep", audience, rid)].data:
                    out.add(rid)
                    continue
                place = self[_name("place", audience, rid)].data
                kept.append((place if place else index + 1, index, rid))
            ids = [rid for _, _, rid in sorted(kept)]
            for resource in group.removed:
                if self[_name("back", audience, resource.id)].data:
                    out.discard(resource.id)
                    ids.append(resource.id)
            for occurrence in group.days:
                if not self[_name("day", audience, occurrence.day.id)].data:
                    out.add(day_key(occurrence.day))
            for occurrence in group.removed_days:
                key = day_key(occurrence.day)
                out.add(key)
                if self[_name("dayback", audience, occurrence.day.id)].data:
                    out.discard(key)
            added = self[_name("add", audience)].data
            if added in {r.id for r in group.addable}:
                ids.append(added)
                out.discard(added)
            order[audience] = ids
            removed[audience] = sorted(out)
        return order, removed


def _note_field(label: str) -> TextAreaField:
    return TextAreaField(
        label + ": paragraphs, *emphasis*, **strong**, lists (- item), [links](https://…)",
        validators=[
            Optional(),
            Length(max=NOTE_MAX, message=f"Keep the note to {NOTE_MAX} characters or fewer."),
            staff_text("note"),
        ],
    )


def _name(*parts: str) -> str:
    return "__".join(p.replace("-", "_") for p in parts)


def digest_draft_form(
    vocabulary: Vocabulary, view: DigestView, *args: Any, **kwargs: Any
) -> DigestDraftForm:
    """The form for this draft as `view` shows it."""

    class _ForThisDraft(DigestDraftForm):
        note__all = _note_field("A note for every group, above the resources (optional)")

    for audience, group in view.groups.items():
        label = vocabulary.audiences.get(audience, audience).lower()
        setattr(
            _ForThisDraft,
            _name("subject", audience),
            StringField(
                f"Subject for {label} (empty: the usual one)",
                validators=[
                    Optional(),
                    Length(max=150, message="Keep the subject to 150 characters or fewer."),
                    staff_text("subject", one_line=True),
                ],
            ),
        )
        setattr(
            _ForThisDraft,
            _name("note", audience),
            _note_field(f"A note for {label} only, instead (optional)"),
        )
        for feature in group.featured:
            rid = feature.resource.id
            setattr(_ForThisDraft, _name("keep", audience, rid), BooleanField("Keep", default=True))
            setattr(
                _ForThisDraft,
                _name("place", audience, rid),
                IntegerField(
                    "Place",
                    validators=[
                        Optional(),
                        NumberRange(1, 99, message="A place is a number from 1 to 99."),
                    ],
                ),
            )
        for resource in group.removed:
            setattr(_ForThisDraft, _name("back", audience, resource.id), BooleanField("Put back"))
        for occurrence in group.days:
            field = BooleanField("Feature it", default=True)
            setattr(_ForThisDraft, _name("day", audience, occurrence.day.id), field)
        for occurrence in group.removed_days:
            field = BooleanField("Put back")
            setattr(_ForThisDraft, _name("dayback", audience, occurrence.day.id), field)
        setattr(
            _ForThisDraft,
            _name("add", audience),
            SelectField(
                f"Add a resource for {label}",
                choices={"": "(none)", **{r.id: r.title for r in group.addable}},
                validate_choice=False,  # choice() takes only a listed one; none is none
            ),
        )
    form = _ForThisDraft(*args, **kwargs)
    form.view = view
    return form
