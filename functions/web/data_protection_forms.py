"""Forms of the data-protection pages (Flask-WTF, session CSRF on each): find a person, act on
their record, suppressions, imports and the group export."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, Regexp

from mailer.catalogue.schema import Vocabulary
from mailer.subscribers.provenance import BASIS_LABELS

from .forms import _email_address, _no_control_characters

_KEY = Regexp(r"^[0-9a-f]{64}$", message="That record is no longer on the page; look it up again.")


def _address_field(label: str = "Email address") -> EmailField:
    return EmailField(
        label,
        validators=[
            DataRequired("Enter the person's email address."),
            Length(max=254, message="An email address has at most 254 characters."),
            _no_control_characters,
            _email_address,
        ],
    )


class FindForm(FlaskForm):
    """One exact address: nobody is listed or browsed."""

    email = _address_field()


class PersonForm(FlaskForm):
    """A button acting on the person the page shows, named by their key (never the address)."""

    subscriber = HiddenField(validators=[DataRequired(), _KEY])


class ErasePersonForm(PersonForm):
    """Erasing needs an explicit tick: it cannot be undone."""

    confirm = BooleanField(
        "Yes, erase this person's data (only a one-way key is kept, so they are never re-added)",
        validators=[DataRequired("Tick the box to confirm the erasure.")],
    )


class SuppressForm(FlaskForm):
    """Add an address to the do-not-contact list, with a reason."""

    email = _address_field()
    reason = StringField(
        "Reason (for example: asked by phone not to be contacted)",
        validators=[
            DataRequired("Give the reason: it is kept with the suppression."),
            Length(max=300),
            _no_control_characters,
        ],
    )


class UnsuppressForm(FlaskForm):
    """Remove a suppression: always with a typed reason (a bounce's or complaint's explicitly)."""

    subscriber = HiddenField(validators=[DataRequired(), _KEY])
    reason = StringField(
        "Why may we email this address again?",
        validators=[
            DataRequired("Type the reason for removing it: it goes in the audit log."),
            Length(min=10, max=300, message="Say why in at least 10 characters."),
            _no_control_characters,
        ],
    )


class ImportForm(FlaskForm):
    """A list's provenance, stated before its file is uploaded."""

    source = TextAreaField(
        "Where did this list come from? (who collected it, when, how, and what people were told)",
        validators=[
            DataRequired("Say where the list came from: it is stored with the batch."),
            Length(min=20, max=2000, message="Describe it in 20 to 2,000 characters."),
        ],
    )
    basis = RadioField(
        "Lawful basis for emailing these people",
        choices={b.value: label for b, label in BASIS_LABELS.items()},
        validators=[InputRequired("Choose the lawful basis.")],
    )
    collected_directly = BooleanField(
        "We collected these details directly from the people, on or after 5 February 2026, "
        "from people showing interest in or supporting our purposes, and offered an opt-out then"
    )
    collected_on = StringField(
        "When were they collected? (YYYY-MM-DD, the earliest date on the list)",
        validators=[Optional(), Length(max=10)],
    )


class ExportForm(FlaskForm):
    """Which group to export."""

    audience = SelectField("Group", validators=[InputRequired()])

    def __init__(self, vocabulary: Vocabulary, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.audience.choices = dict(vocabulary.audiences)
