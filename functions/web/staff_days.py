"""Staff pages for awareness days: list them, add one, edit one.

As with resources (staff_resources.py), each save is checked by the same model as the days
file, with each problem beside its field, everything typed kept and nothing stored until all is
right; the day is stored in DynamoDB as the console's (sync never overwrites it) and audited.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, g, redirect, request, url_for
from pydantic import ValidationError

from mailer.catalogue.awareness import AwarenessDay
from mailer.catalogue.schema import field_message

from .day_forms import DayForm
from .extensions import container_of
from .staff import page, staff_required
from .staff_resources import _sentence

bp = Blueprint("staff_days", __name__, url_prefix="/staff/days")


@bp.get("/")
@staff_required()
def index() -> Any:
    """Every awareness day, in calendar order."""
    container = container_of()
    return page("staff/days.html", days=container.awareness_day_store.days(container.vocabulary))


def _found(day_id: str) -> AwarenessDay:
    found = container_of().awareness_day_store.get(day_id, container_of().vocabulary)
    if found is None:
        abort(404, "There is no awareness day with that id.")
    return found


def _form_page(form: DayForm, editing: str = "", status: int = 200) -> Any:
    return page("staff/day_form.html", status, form=form, editing=editing)


def _save(form: DayForm, editing: str = "") -> Any:
    """Validate with the days' own model against the catalogue as stored now; store and audit,
    or show each problem beside its field."""
    container = container_of()
    form_ok = form.validate_on_submit()
    if "csrf_token" in form.errors:
        return _form_page(form, editing, 400)
    data = form.day_data()
    if editing:
        data["id"] = editing  # an id never changes
    resource_ids = {r.id for r in container.resources()}  # retired ones are not suggested
    context = {"vocabulary": container.vocabulary, "resource_ids": resource_ids}
    day = None
    try:
        day = AwarenessDay.model_validate(data, context=context)
    except ValidationError as exc:
        for error in exc.errors():
            name = str(error["loc"][0]) if error["loc"] else "yearly"  # "either ... or ..."
            field = getattr(form, name, None)
            if field is not None and field.errors:
                continue
            message = _sentence(field_message(error, data))
            (field.errors if field is not None else form.form_errors).append(message)
    new_id = not editing and not form.id.errors and data["id"]
    if new_id and container.awareness_day_store.get(data["id"], container.vocabulary):
        form.id.errors.append("A day with this id exists already: choose another.")
        day = None
    if day is None or not form_ok:
        return _form_page(form, editing, 400)
    container.awareness_day_store.save(day)
    action = "edited an awareness day" if editing else "added an awareness day"
    container.audit_log.record(g.staff, action, {"day": day.id})
    flash(f"Saved: {day.name}")
    return redirect(url_for("staff_days.index"), 303)


@bp.route("/new", methods=["GET", "POST"])
@staff_required()
def new() -> Any:
    """Add an awareness day."""
    form = DayForm(container_of().vocabulary)
    if request.method != "POST":
        return _form_page(form)
    return _save(form)


@bp.route("/<day_id>/edit", methods=["GET", "POST"])
@staff_required()
def edit(day_id: str) -> Any:
    """Change an awareness day (its id stays)."""
    found = _found(day_id)
    form = DayForm(container_of().vocabulary)
    if request.method != "POST":
        form.fill_from(found)
        return _form_page(form, day_id)
    return _save(form, day_id)
