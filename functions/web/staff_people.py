"""Staff pages for data protection: find one person by their exact address and act on their
record (unsubscribe, erase, download their data, send a fresh manage link).

Only members of the data-protection group reach these pages (others get 403). Addresses are
posted, never put in a URL, and the audit log names a person only by their one-way key.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, Response, abort, g

from mailer.staff.people import PersonRecord

from .data_protection_forms import ErasePersonForm, FindForm, PersonForm
from .extensions import container_of
from .staff import page, staff_required

bp = Blueprint("staff_people", __name__, url_prefix="/staff/people")


def data_protection_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Guard a view: signed in (else to sign-in), and in the data-protection group (else 403)."""

    @wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        if not g.staff.is_data_protection:
            abort(403, "Only members of the data-protection group may do that.")
        return view(*args, **kwargs)

    return staff_required()(guarded)


def _person_page(
    record: PersonRecord | None, form: FindForm | None = None, status: int = 200, done: str = ""
) -> Any:
    container = container_of()
    return page(
        "staff/person.html",
        status,
        form=form or FindForm(),
        record=record,
        done=done,
        action=PersonForm(subscriber=record.key if record else ""),
        erase_form=ErasePersonForm(subscriber=record.key if record else ""),
        vocabulary=container.vocabulary,
    )


@bp.get("/")
@data_protection_required
def find_page() -> Any:
    """The look-up form."""
    return _person_page(None)


@bp.post("/")
@data_protection_required
def find() -> Any:
    """Look one address up (audited by key); unknown addresses say only that."""
    form = FindForm()
    if not form.validate_on_submit():
        return _person_page(None, form, 400)
    record = container_of().people.find(g.staff, form.email.data)
    return _person_page(record, FindForm(formdata=None))


def _acted(form: PersonForm, act: Callable[[str], Any], done: str, failed: str) -> Any:
    """Run one action on the posted key and show the record again with what happened."""
    if not form.validate_on_submit():
        key = form.subscriber.data if not form.subscriber.errors else ""
        record = container_of().people.record(key) if key else None
        return page(
            "staff/person.html",
            400,
            form=FindForm(formdata=None),
            record=record,
            done="",
            action=PersonForm(subscriber=key),
            erase_form=form if isinstance(form, ErasePersonForm) else ErasePersonForm(),
            vocabulary=container_of().vocabulary,
        )
    key = form.subscriber.data
    changed = act(key)
    return _person_page(container_of().people.record(key), done=done if changed else failed)


@bp.post("/unsubscribe")
@data_protection_required
def unsubscribe() -> Any:
    """Unsubscribe the person shown (their request, taken by phone or letter)."""
    people = container_of().people
    return _acted(
        PersonForm(),
        lambda key: people.unsubscribe(g.staff, key),
        "Unsubscribed: they get no more campaign email.",
        "Nothing to unsubscribe: they were not subscribed.",
    )


@bp.post("/erase")
@data_protection_required
def erase() -> Any:
    """Erase the person shown, keeping only the one-way key."""
    people = container_of().people
    return _acted(
        ErasePersonForm(),
        lambda key: people.erase(g.staff, key),
        "Erased: only the one-way key is kept, so they are never added again.",
        "Nothing to erase.",
    )


@bp.post("/manage-link")
@data_protection_required
def manage_link() -> Any:
    """Email the person shown a fresh link to their preferences."""
    people = container_of().people
    return _acted(
        PersonForm(),
        lambda key: people.send_manage_link(g.staff, key),
        "Sent: they will get an email with a link to manage their subscription.",
        "Not sent: only confirmed, unsuppressed subscribers get a manage link.",
    )


@bp.post("/export")
@data_protection_required
def export() -> Any:
    """The person's data as the same JSON they would download themselves."""
    form = PersonForm()
    if not form.validate_on_submit():
        return _acted(form, lambda key: False, "", "")
    record = container_of().people.export(g.staff, form.subscriber.data)
    if record is None:
        return _person_page(
            container_of().people.record(form.subscriber.data), done="Nothing is held to export."
        )
    return Response(
        json.dumps(record, indent=2, ensure_ascii=False),
        mimetype="application/json",
        headers={
            "Content-Disposition": 'attachment; filename="subscription-data.json"',
            "Cache-Control": "no-store",
        },
    )
