"""Staff pages for the catalogue: list, search and filter; add, edit and retire a resource.

Edits are checked by the same pydantic model as the catalogue/ files (errors shown beside the
field, nothing stored until every field is right) and live in DynamoDB, marked as the console's,
so `mailer catalogue sync` never overwrites them (`mailer catalogue export` writes them back).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, abort, flash, g, redirect, request, url_for
from pydantic import ValidationError

from mailer.catalogue.schema import Resource

from .extensions import container_of
from .staff import page, staff_required
from .staff_forms import ButtonForm, ResourceForm

bp = Blueprint("staff_resources", __name__, url_prefix="/staff/resources")


@bp.get("/")
@staff_required()
def index() -> Any:
    """Every resource, retired ones included, searchable by words, audience and topic."""
    container = container_of()
    vocabulary = container.vocabulary
    query = request.args.get("q", "").strip().lower()[:100]
    audience = request.args.get("audience", "")
    topic = request.args.get("topic", "")
    stored = container.catalogue_store.with_retired(vocabulary)
    retired = {resource.id for resource, is_retired in stored if is_retired}
    shown = [
        r
        for r in sorted((r for r, _ in stored), key=lambda r: r.newest_first_key(), reverse=True)
        if (not query or query in f"{r.id} {r.title} {r.summary} {r.publisher}".lower())
        and (audience not in vocabulary.audiences or audience in r.audiences)
        and (topic not in vocabulary.topics or topic in r.topics)
    ]
    return page(
        "staff/resources.html",
        resources=shown,
        retired=retired,
        vocabulary=vocabulary,
        query=query,
        audience=audience,
        topic=topic,
        button=ButtonForm(),
    )


def _form_page(form: ResourceForm, editing: str = "", status: int = 200) -> Any:
    return page("staff/resource_form.html", status, form=form, editing=editing)


def _save(form: ResourceForm, editing: str = "") -> Any:
    """Validate with the catalogue's own model; store and audit, or show the errors."""
    container = container_of()
    if not form.validate_on_submit():
        return _form_page(form, editing, 400)
    data = form.resource_data()
    if editing:
        data["id"] = editing  # an id never changes: emails and links name it
    elif container.catalogue_store.get(data["id"], container.vocabulary) is not None:
        form.id.errors.append("A resource with this id exists already: choose another.")
        return _form_page(form, editing, 400)
    try:
        resource = Resource.model_validate(data, context={"vocabulary": container.vocabulary})
    except ValidationError as exc:
        for error in exc.errors():
            name = str(error["loc"][0]) if error["loc"] else ""
            field = getattr(form, name, None)
            message = error["msg"].removeprefix("Value error, ")
            (field.errors if field is not None else form.form_errors).append(message)
        return _form_page(form, editing, 400)
    container.catalogue_store.save(resource)
    container.audit_log.record(
        g.staff, "edited a resource" if editing else "added a resource", {"resource": resource.id}
    )
    flash(f"Saved: {resource.title}")
    return redirect(url_for("staff_resources.index"), 303)


@bp.route("/new", methods=["GET", "POST"])
@staff_required()
def new() -> Any:
    """Add a resource."""
    form = ResourceForm(container_of().vocabulary)
    if request.method == "GET":
        form.added.data = dt.datetime.fromtimestamp(container_of().clock(), dt.UTC).date()
        return _form_page(form)
    return _save(form)


@bp.route("/<resource_id>/edit", methods=["GET", "POST"])
@staff_required()
def edit(resource_id: str) -> Any:
    """Change a resource (its id stays)."""
    container = container_of()
    found = container.catalogue_store.get(resource_id, container.vocabulary)
    if found is None:
        abort(404, "There is no resource with that id.")
    form = ResourceForm(container.vocabulary)
    if request.method == "GET":
        form.fill_from(found[0])
        return _form_page(form, resource_id)
    return _save(form, resource_id)


@bp.post("/<resource_id>/retire")
@staff_required()
def retire(resource_id: str) -> Any:
    """Take a resource out of the catalogue, digests and announcements (it stays stored)."""
    container = container_of()
    if not ButtonForm().validate_on_submit():
        abort(400, "Please use the button on the resources page.")
    found = container.catalogue_store.get(resource_id, container.vocabulary)
    if found is None:
        abort(404, "There is no resource with that id.")
    container.catalogue_store.save(found[0], retired=True)
    container.audit_log.record(g.staff, "retired a resource", {"resource": resource_id})
    flash(f"Retired: {found[0].title}")
    return redirect(url_for("staff_resources.index"), 303)
