"""The staff console's form for an awareness day (Flask-WTF, session CSRF); the days' own
model (catalogue/awareness.py) checks every rule on save, as it checks the days file."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import DateField, SelectMultipleField, StringField, widgets
from wtforms.validators import Optional

from mailer.catalogue.awareness import AwarenessDay
from mailer.catalogue.schema import Vocabulary


class _Checkboxes(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class DayForm(FlaskForm):
    """An awareness day as staff write it."""

    id = StringField("Id (a short slug that never changes, like anti-slavery-day)")
    name = StringField("Name, as people know it")
    yearly = StringField("Every year on (MM-DD, like 10-18 for 18 October)")
    date = DateField("Or once, on this date", validators=[Optional()])
    audiences = _Checkboxes("Suits")
    resources = StringField("Resources to suggest: their ids, best first, separated by commas")
    line = StringField("A line for the email (our own words, one line)")
    source = StringField("Where the date comes from (an Act, a UN resolution...)")

    def __init__(self, vocabulary: Vocabulary, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.audiences.choices = dict(vocabulary.audiences)

    def day_data(self) -> dict[str, Any]:
        """The submitted fields, as the days' model reads them."""
        data: dict[str, Any] = {
            "id": (self.id.data or "").strip(),
            "name": self.name.data or "",
            "yearly": (self.yearly.data or "").strip(),
            "audiences": list(self.audiences.data or []),
            "resources": [r.strip() for r in (self.resources.data or "").split(",") if r.strip()],
            "line": self.line.data or "",
            "source": self.source.data or "",
        }
        if self.date.data is not None:
            data["date"] = self.date.data
        return data

    def fill_from(self, day: AwarenessDay) -> None:
        """Show a stored day for editing."""
        for name in ("id", "name", "yearly", "line", "source", "date"):
            getattr(self, name).data = getattr(day, name)
        self.audiences.data = list(day.audiences)
        self.resources.data = ", ".join(day.resources)
