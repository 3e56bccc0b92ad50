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

from mailer.catalogue.schema import ID_MAX, ID_PATTERN, Resource, field_message
from mailer.errors import ConflictError

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
    stored = container.catalogue_store.stored(vocabulary)
    retired = {s.resource.id for s in stored if s.retired}
    unreviewed = {s.resource.id: s.unreviewed for s in stored if s.unreviewed}
    shown = [
        r
        for r in sorted(
            (s.resource for s in stored), key=lambda r: r.newest_first_key(), reverse=True
        )
        if (not query or query in f"{r.id} {r.title} {r.summary} {r.publisher}".lower())
        and (audience not in vocabulary.audiences or audience in r.audiences)
        and (topic not in vocabulary.topics or topic in r.topics)
    ]
    return page(
        "staff/resources.html",
        resources=shown,
        retired=retired,
        unreviewed=unreviewed,
        vocabulary=vocabulary,
        query=query,
        audience=audience,
        topic=topic,
        button=ButtonForm(),
    )


def _found(resource_id: str) -> tuple[Resource, bool]:
    """The stored resource a path names, and whether it is retired; 404 if there is none (a
    path that is no id at all is never looked up: the table refuses empty or long keys)."""
    container = container_of()
    found = (
        container.catalogue_store.get(resource_id, container.vocabulary)
        if len(resource_id) <= ID_MAX and ID_PATTERN.match(resource_id)
        else None
    )
    if found is None:
        abort(404, "There is no resource with that id.")
    return found


def _form_page(
    form: ResourceForm, editing: str = "", status: int = 200, retired: bool = False
) -> Any:
    return page("staff/resource_form.html", status, form=form, editing=editing, retired=retired)


def _sentence(message: str) -> str:
    """A catalogue message as a sentence beside a field: capital first, full stop last."""
    message = message[:1].upper() + message[1:]
    return message if message.endswith((".", "!", "?")) else message + "."


def _save(form: ResourceForm, editing: str = "") -> Any:
    """Validate with the catalogue's own model; store and audit, or show the errors beside
    their fields with everything typed kept. Editing a retired resource keeps it retired."""
    container = container_of()
    form_ok = form.validate_on_submit()
    retired = bool(editing) and _found(editing)[1]
    if "csrf_token" in form.errors:
        return _form_page(form, editing, 400, retired)
    data = form.resource_data()
    if editing:
        data["id"] = editing  # an id never changes: emails and links name it
    resource = None
    try:
        resource = Resource.model_validate(data, context={"vocabulary": container.vocabulary})
    except ValidationError as exc:
        for error in exc.errors():
            name = str(error["loc"][0]) if error["loc"] else ""
            field = getattr(form, name, None)
            if field is not None and field.errors:
                continue  # the form's own check said it already, in its words
            message = _sentence(field_message(error, data))
            (field.errors if field is not None else form.form_errors).append(message)
    # Only a well-formed id is looked up: the table refuses an empty or oversized key.
    id_ok = not editing and not form.id.errors
    if id_ok and container.catalogue_store.get(data["id"], container.vocabulary) is not None:
        form.id.errors.append("A resource with this id exists already: choose another.")
        resource = None
    if resource is None or not form_ok:
        return _form_page(form, editing, 400, retired)
    # Restoring is its own button (senders only), never a side effect of saving an edit. A
    # member outside senders saves unreviewed words: no subscriber gets them until a sender
    # has approved them (campaigns/digests.py keeps them out of an unapproved digest).
    review = "sender" if g.staff.is_sender else "member"
    try:
        container.catalogue_store.save(
            resource, retired=retired, review=review, member=g.staff.email
        )
    except ConflictError:
        form.form_errors.append(
            "Someone else saved this resource at the same moment: nothing was saved. "
            "Open it again to see their version."
        )
        return _form_page(form, editing, 409, retired)
    container.audit_log.record(
        g.staff, "edited a resource" if editing else "added a resource", {"resource": resource.id}
    )
    flash(f"Saved: {resource.title}" + (" (still retired)" if retired else ""))
    return redirect(url_for("staff_resources.index"), 303)


@bp.route("/new", methods=["GET", "POST"])
@staff_required()
def new() -> Any:
    """Add a resource."""
    form = ResourceForm(container_of().vocabulary)
    if request.method != "POST":  # GET, and HEAD (which Flask routes alike)
        form.added.data = dt.datetime.fromtimestamp(container_of().clock(), dt.UTC).date()
        return _form_page(form)
    return _save(form)


@bp.route("/<resource_id>/edit", methods=["GET", "POST"])
@staff_required()
def edit(resource_id: str) -> Any:
    """Change a resource (its id stays)."""
    found = _found(resource_id)
    form = ResourceForm(container_of().vocabulary)
    if request.method != "POST":  # GET, and HEAD (which Flask routes alike)
        form.fill_from(found[0])
        return _form_page(form, resource_id, retired=found[1])
    return _save(form, resource_id)


@bp.post("/<resource_id>/retire")
@staff_required()
def retire(resource_id: str) -> Any:
    """Take a resource out of the catalogue, digests and announcements (it stays stored)."""
    container = container_of()
    if not ButtonForm().validate_on_submit():
        abort(400, "Please use the button on the resources page.")
    found = _found(resource_id)
    container.catalogue_store.save(found[0], retired=True, review="keep")
    container.audit_log.record(g.staff, "retired a resource", {"resource": resource_id})
    flash(f"Retired: {found[0].title}")
    return redirect(url_for("staff_resources.index"), 303)


@bp.post("/<resource_id>/restore")
@staff_required(sender=True)
def restore(resource_id: str) -> Any:
    """Bring a retired resource back into the catalogue, digests and announcements.

    Senders only: a restored resource reaches subscribers again, and what reaches them is a
    sender's decision (issue 16). Editing never restores: this button is the only way back.
    """
    container = container_of()
    if not ButtonForm().validate_on_submit():
        abort(400, "Please use the button on the resources page.")
    found = _found(resource_id)
    if not found[1]:
        flash(f"Not retired, so nothing to restore: {found[0].title}")
        return redirect(url_for("staff_resources.index"), 303)
    container.catalogue_store.save(found[0], retired=False, review="keep")
    container.audit_log.record(g.staff, "restored a resource", {"resource": resource_id})
    flash(f"Restored: {found[0].title}")
    return redirect(url_for("staff_resources.index"), 303)
