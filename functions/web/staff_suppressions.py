"""Staff pages for the suppression list: counts by reason, look an address up, add one by hand
(do not contact, with a reason), remove one with a typed reason. Data-protection members only;
every change is audited by key, never by address."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, g

from mailer.staff.people import PersonRecord

from .data_protection_forms import FindForm, SuppressForm, UnsuppressForm
from .extensions import container_of
from .staff import page
from .staff_people import data_protection_required

bp = Blueprint("staff_suppressions", __name__, url_prefix="/staff/suppressions")

# Why an address was suppressed, as staff read it.
KIND_LABELS = {
    "complaint": "Complaint (marked as spam)",
    "permanent bounce": "Hard bounce (the address does not exist)",
    "transient bounces": "Repeated soft bounces",
    "by hand": "Added by staff (do not contact)",
}


def _page(
    status: int = 200,
    *,
    find: FindForm | None = None,
    add: SuppressForm | None = None,
    remove: UnsuppressForm | None = None,
    record: PersonRecord | None = None,
    done: str = "",
) -> Any:
    totals = container_of().subscriber_store.census()
    counts = {kind: totals.get(f"suppressed#{kind}", 0) for kind in KIND_LABELS}
    return page(
        "staff/suppressions.html",
        status,
        counts=counts,
        labels=KIND_LABELS,
        find=find or FindForm(formdata=None),
        add=add or SuppressForm(formdata=None),
        remove=remove or UnsuppressForm(formdata=None, subscriber=record.key if record else ""),
        record=record,
        done=done,
    )


def _no_address(form: SuppressForm | UnsuppressForm) -> bool:
    """A reason is kept and audited: refuse one with an address in it (it would leak there)."""
    if "@" in (form.reason.data or ""):
        form.reason.errors = [*form.reason.errors, "Leave the address out of the reason."]
        return False
    return True


@bp.get("/")
@data_protection_required
def index() -> Any:
    """Counts by reason, and the forms."""
    return _page()


@bp.post("/find")
@data_protection_required
def find() -> Any:
    """Whether one address is suppressed, and why (audited by key)."""
    form = FindForm()
    if not form.validate_on_submit():
        return _page(400, find=form)
    people = container_of().people
    key = people.key(form.email.data)
    record = people.record(key)
    container_of().audit_log.record(
        g.staff,
        "looked up a suppression",
        {"subscriber": key, "suppressed": record.suppression is not None},
    )
    return _page(
        record=record, done="" if record.suppression else "That address is not suppressed."
    )


@bp.post("/add")
@data_protection_required
def add() -> Any:
    """Never email this address (a person's request: do not contact)."""
    form = SuppressForm()
    if not form.validate_on_submit() or not _no_address(form):
        return _page(400, add=form)
    container = container_of()
    key = container.people.key(form.email.data)
    now = dt.datetime.fromtimestamp(container.clock(), dt.UTC).isoformat(timespec="seconds")
    reason = " ".join(form.reason.data.split())
    added = container.subscriber_store.suppress(key, reason, now, by=g.staff.email)
    container.audit_log.record(
        g.staff, "suppressed an address", {"subscriber": key, "reason": reason, "added": added}
    )
    done = "Suppressed: nothing will be sent to it." if added else "It was suppressed already."
    return _page(record=container.people.record(key), done=done)


@bp.post("/remove")
@data_protection_required
def remove() -> Any:
    """Allow mail to an address again, with the typed reason (audited)."""
    form = UnsuppressForm()
    container = container_of()
    valid = form.validate_on_submit() and _no_address(form)
    key = form.subscriber.data if not form.subscriber.errors else ""
    if not valid:
        record = container.people.record(key) if key else None
        return _page(400, remove=form, record=record)
    before = container.subscriber_store.suppression(key)
    removed = container.subscriber_store.unsuppress(key)
    container.audit_log.record(
        g.staff,
        "removed a suppression",
        {
            "subscriber": key,
            "kind": (before or {}).get("kind", ""),
            "reason": " ".join(form.reason.data.split()),
            "removed": removed,
        },
    )
    done = "Removed: the address may be emailed again." if removed else "It was not suppressed."
    return _page(record=container.people.record(key), done=done)
