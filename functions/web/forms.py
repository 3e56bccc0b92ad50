"""The forms (Flask-WTF): field rules, and the subscribe form's cookie-free CSRF token."""

from __future__ import annotations

import re
from typing import Any

from flask import current_app, request
from flask_wtf import FlaskForm
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from wtforms import (
    BooleanField,
    HiddenField,
    RadioField,
    SelectMultipleField,
    StringField,
    ValidationError,
    widgets,
)
from wtforms.csrf.core import CSRF
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from mailer.catalogue.schema import Vocabulary
from mailer.subscribers.form_tokens import FORM_LIFETIME, new_nonce
from mailer.subscribers.identity import InvalidAddressError, checked_address
from mailer.subscribers.model import MAILINGS_LABELS, Mailings

from .extensions import container_of

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")
FORM_TOKEN_MAX_AGE = FORM_LIFETIME


def _no_control_characters(form: Any, field: Any) -> None:
    if field.data and _CONTROL.search(field.data):
        raise ValidationError("Please use one line of plain text.")


def _email_address(form: Any, field: Any) -> None:
    try:
        # The one rule for addresses (identity.py): the form and list imports share it.
        field.data = checked_address(field.data or "")
    except InvalidAddressError:
        raise ValidationError(
            "Please enter a valid email address, like name@example.org."
        ) from None


class MultiCheckboxField(SelectMultipleField):
    """A list of checkboxes (one per topic)."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class SignedTimestampCSRF(CSRF):
    """CSRF without cookies: a signed, expiring, single-use token that also records when and on
    which page the form was shown.

    The subscribe form is embedded on other sites, where browsers block our cookies, so the
    usual session-bound token cannot work there. This token proves the form came from us
    recently; its timestamp gives the minimum fill time that stops most bots; its nonce is
    spent on use, so one token cannot be replayed to send many emails; and it names the page
    (full or embedded) that issued it, which the submission must match.
    """

    def setup_form(self, form: Any) -> Any:
        """Keep the serializer for this form."""
        self._serializer = URLSafeTimedSerializer(current_app.secret_key, salt="subscribe-form")
        return super().setup_form(form)

    def generate_csrf_token(self, csrf_token_field: Any) -> str:
        """A token carrying the time the form was rendered, a fresh nonce and the page."""
        page = "embed" if request.path.endswith("/embed") or _embedded() else "full"
        return self._serializer.dumps([int(container_of().clock()), new_nonce(), page])

    def validate_csrf_token(self, form: Any, field: Any) -> None:
        """Reject tampered, expired, replayed, misplaced and too-quick submissions."""
        try:
            value = self._serializer.loads(field.data or "", max_age=FORM_TOKEN_MAX_AGE)
        except SignatureExpired:
            raise ValidationError("This form has expired. Please fill it in again.") from None
        except BadSignature:
            raise ValidationError("Please fill in the form on this page.") from None
        if not (isinstance(value, list) and len(value) == 3 and isinstance(value[0], int)):
            raise ValidationError("Please fill in the form on this page.")
        shown_at, nonce, page = value
        if page != ("embed" if _embedded() else "full"):
            raise ValidationError("Please fill in the form on this page.")
        elapsed = container_of().clock() - shown_at
        if elapsed < current_app.config["SUBSCRIBE_MIN_FILL_SECONDS"]:
            form.too_quick = True
            raise ValidationError(
                "That was very quick! Please check your details and press Subscribe again."
            )
        if not container_of().form_nonces.spend(str(nonce), FORM_TOKEN_MAX_AGE):
            # Sent before: a double click, or a replay. Either way it does nothing more, and
            # the view answers as it answered the first time.
            form.replayed = True
            raise ValidationError("This form was sent already.")


def _embedded() -> bool:
    """True when the request comes from (or is) the embedded form."""
    return request.form.get("embedded") == "1"


class _GroupAndTopics(FlaskForm):
    """Fields the subscribe and preferences forms share."""

    audience = RadioField(
        "I am subscribing as",
        validators=[InputRequired(message="Please choose who you are subscribing as.")],
    )
    topics = MultiCheckboxField("Topics I am interested in")
    mailings = RadioField(
        "What I want to get",
        choices={m.value: label for m, label in MAILINGS_LABELS.items()},
        default=Mailings.BOTH.value,  # also for a form (an old copy, a script) that omits it
        validate_choice=False,  # validate_mailings says it in people's words
    )
    # None: no topic ticked means every topic (the subscribe form, whose callers may send none).
    no_topics_hint: str | None = None

    def __init__(self, vocabulary: Vocabulary, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.audience.choices = list(vocabulary.audiences.items())
        self.topics.choices = list(vocabulary.topics.items())

    def validate_mailings(self, field: Any) -> None:
        """One of the three choices (what a browser sends); anything else is asked again."""
        if field.data not in {m.value for m in MAILINGS_LABELS}:
            raise ValidationError(
                "Please choose the monthly digest, announcements, or both. To get no emails at "
                "all, unsubscribe instead."
            )

    def validate_topics(self, field: Any) -> None:
        """Only known topics (the field's own check says little), and at least one where the
        form asks for it.

        On the preferences page no topic ticked used to be saved as "every topic" and the page
        said "saved": a subscriber who unticked them all meant something else (fewer emails,
        or none), so ask rather than guess, and change nothing.
        """
        if not field.data and self.no_topics_hint is not None:
            raise ValidationError(
                "Please tick at least one topic. To hear about every topic, including ones we "
                "add later, tick them all." + self.no_topics_hint
            )
        known = {value for value, _ in field.choices}
        if any(topic not in known for topic in field.data or ()):
            raise ValidationError("Please choose topics from the list.")


class SubscribeForm(_GroupAndTopics):
    """The public subscribe form."""

    class Meta:
        csrf_class = SignedTimestampCSRF

    email = StringField(
        "Email address",
        validators=[
            DataRequired(message="Please enter your email address."),
            Length(max=254),
            _no_control_characters,
            _email_address,
        ],
    )
    # The honeypot: hidden from people, irresistible to form-filling bots.
    website = StringField("Leave this empty", validators=[Optional(), Length(max=500)])
    too_quick = False
    replayed = False


class PreferencesForm(_GroupAndTopics):
    """Change group, topics and name. Name and organisation are asked only here, behind a
    confirmed subscriber's own link: on the public form a stranger could put words in them."""

    name = StringField(
        "Your name (optional)", validators=[Optional(), Length(max=100), _no_control_characters]
    )
    organisation = StringField(
        "School, faith group or organisation (optional)",
        validators=[Optional(), Length(max=150), _no_control_characters],
    )
    no_topics_hint: str | None = " To get no emails at all, press Unsubscribe below."


class EraseForm(FlaskForm):
    """Erase all data: needs an explicit tick."""

    confirm = BooleanField(
        "Yes, erase my data",
        validators=[
            DataRequired(message="Tick the box to confirm that you want your data erased.")
        ],
    )


class ActionForm(FlaskForm):
    """A button that only needs CSRF protection (confirm, export, unsubscribe)."""

    action = HiddenField()
