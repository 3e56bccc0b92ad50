"""The staff console's forms (Flask-WTF, session CSRF on each)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    EmailField,
    HiddenField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from mailer import text
from mailer.catalogue.schema import Resource, Vocabulary
from mailer.emails.notes import NOTE_MAX

_CODE = Regexp(r"^\d{6}$", message="Enter the six digits the app shows.")


def staff_text(what: str, *, one_line: bool = False) -> Callable[[Any, Any], None]:
    """A field validator: text that cannot break an email (mailer/text.py), newlines as LF."""

    def check(form: Any, field: Any) -> None:
        if field.data:
            try:
                field.data = text.checked(field.data, what, one_line=one_line)
            except ValueError as exc:
                raise ValidationError(str(exc)) from None

    return check


class SignInForm(FlaskForm):
    """Email address and password."""

    email = EmailField(
        "Email address", validators=[DataRequired("Enter your email address."), Length(max=254)]
    )
    password = PasswordField(
        "Password", validators=[DataRequired("Enter your password."), Length(max=256)]
    )


class NewPasswordForm(FlaskForm):
    """A new password, on the first sign-in of an account an admin created."""

    password = PasswordField(
        "New password",
        validators=[
            DataRequired("Choose a new password."),
            Length(min=12, max=256, message="Use at least 12 characters."),
        ],
    )


class CodeForm(FlaskForm):
    """A six-digit code from an authenticator app."""

    code = StringField("Code from your authenticator app", validators=[DataRequired(), _CODE])


class ButtonForm(FlaskForm):
    """A button that only needs CSRF protection (sign out)."""


class _Checkboxes(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class ResourceForm(FlaskForm):
    """A resource as staff write it; the catalogue's own model checks every rule on save."""

    id = StringField("Id (a short slug that never changes, like safe-homes)")
    title = StringField("Title")
    summary = TextAreaField("Summary (our own words, at most 300 characters)")
    url = StringField("Address (https), empty when not known yet")
    published = StringField("Published (YYYY or YYYY-MM), empty when not known")
    type = SelectField("Type")
    publisher = StringField("Publisher")
    audiences = _Checkboxes("For")
    topics = _Checkboxes("Topics")
    added = DateField("Added to the catalogue", validators=[Optional()])

    def __init__(self, vocabulary: Vocabulary, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.type.choices = list(vocabulary.types.items())
        self.audiences.choices = list(vocabulary.audiences.items())
        self.topics.choices = list(vocabulary.topics.items())

    def resource_data(self) -> dict[str, Any]:
        """The submitted fields, as the catalogue model reads them."""
        return {
            "id": (self.id.data or "").strip(),
            "title": self.title.data or "",
            "summary": " ".join((self.summary.data or "").split()),
            "url": (self.url.data or "").strip(),
            "published": (self.published.data or "").strip(),
            "type": self.type.data or "",
            "publisher": self.publisher.data or "",
            "audiences": list(self.audiences.data or []),
            "topics": list(self.topics.data or []),
            "added": self.added.data,
        }

    def fill_from(self, resource: Resource) -> None:
        """Show a stored resource for editing."""
        for name, value in resource.to_item().items():
            getattr(self, name).data = value
        self.added.data = resource.added


class DraftVersionForm(FlaskForm):
    """A button on a draft's page: CSRF, and the version of the draft the page showed."""

    version = HiddenField()

    def version_seen(self) -> int:
        """The version the page showed (0 when missing or not a number: never current)."""
        text = self.version.data or ""
        return int(text) if text.isdigit() and len(text) < 10 else 0


class DraftForm(DraftVersionForm):
    """An announcement draft: its groups, introduction and a subject per group."""

    audiences = _Checkboxes("Send to")
    message = TextAreaField(
        "A short introduction (optional)",
        validators=[
            Optional(),
            Length(max=300, message="Keep it to 300 characters or fewer."),
            staff_text("introduction"),
        ],
    )
    note = TextAreaField(
        "A note from us, below the introduction (optional): paragraphs, *emphasis*, "
        "**strong**, lists (- item) and https links ([words](https://…))",
        validators=[
            Optional(),
            Length(max=NOTE_MAX, message=f"Keep the note to {NOTE_MAX} characters or fewer."),
            staff_text("note"),
        ],
    )

    def subject_fields(self) -> list[tuple[str, Any]]:
        """(audience, its subject field), in the resource's order."""
        return [(a, self[f"subject_{a.replace('-', '_')}"]) for a, _ in self.audiences.choices]

    def subjects(self) -> dict[str, str]:
        """The subjects typed, per audience ("" keeps the generated one)."""
        return {a: " ".join((f.data or "").split()) for a, f in self.subject_fields()}


def draft_form(vocabulary: Vocabulary, resource: Resource, *args: Any, **kwargs: Any) -> DraftForm:
    """A DraftForm with one subject field per audience of the resource."""

    class _ForThisResource(DraftForm):
        pass

    for audience in resource.audiences:
        field = StringField(
            f"Subject for {vocabulary.audiences[audience].lower()} (empty: the usual one)",
            validators=[
                Optional(),
                Length(max=150, message="Keep the subject to 150 characters or fewer."),
                staff_text("subject", one_line=True),
            ],
        )
        setattr(_ForThisResource, f"subject_{audience.replace('-', '_')}", field)
    form = _ForThisResource(*args, **kwargs)
    form.audiences.choices = [(a, vocabulary.audiences[a]) for a in resource.audiences]
    return form
