"""Staff pages for scheduling: a sender has an approved draft sent at a day and time of their
choosing (London time), moves it, or takes it off the schedule, until it starts. What goes out
at that time is exactly what was approved (campaigns/schedules.py)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, g, redirect, request, url_for

from mailer.campaigns.drafts import DraftState
from mailer.campaigns.send_time import SendTimeError, london_moment, london_words
from mailer.errors import MailerError

from .extensions import container_of
from .schedule_forms import schedule_form
from .staff import staff_required
from .staff_digests import STALE_PAGE
from .staff_drafts import draft_or_404, pressed, show

bp = Blueprint("staff_schedules", __name__, url_prefix="/staff")
NOTHING_CHANGED = "Nothing was scheduled: please see the message below."


@bp.post("/drafts/<draft_id>/schedule")
@staff_required(sender=True)
def schedule(draft_id: str) -> Any:
    """Schedule (or reschedule) the approved draft the page showed; a problem with the day or
    the time is shown beside it, with what was typed kept."""
    draft = draft_or_404(draft_id)
    container = container_of()
    form = schedule_form(draft, container.schedules.now(), request.form)
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400, "Please use the buttons on the draft's page.")
        return show(draft, status=400, error=NOTHING_CHANGED, schedule=form)
    if form.version_seen() != draft.version:
        return show(draft, status=409, error=STALE_PAGE)
    if draft.state not in (DraftState.APPROVED, DraftState.SCHEDULED):
        return show(draft, status=409, error="A sender must approve this draft first.")
    try:
        at = london_moment(form.day.data, form.time.data)
        scheduled = container.schedules.schedule(draft, at, g.staff.email)
    except SendTimeError as exc:
        form.time.errors = [str(exc)]
        return show(draft, status=400, error=NOTHING_CHANGED, schedule=form)
    except MailerError as exc:  # changed meanwhile, or the planner could not be reached
        return show(container.drafts.get(draft.id) or draft, status=409, error=str(exc))
    again = draft.state is DraftState.SCHEDULED
    detail = {"draft": draft.id, "version": scheduled.version, "at": scheduled.scheduled_for}
    container.audit_log.record(
        g.staff, "rescheduled a draft" if again else "scheduled a draft", detail
    )
    flash(
        f"Scheduled: it goes out on {london_words(scheduled.scheduled_for)}, exactly as approved."
    )
    return redirect(url_for("staff_drafts.draft_page", draft_id=draft.id), 303)


@bp.post("/drafts/<draft_id>/unschedule")
@staff_required(sender=True)
def unschedule(draft_id: str) -> Any:
    """Take the draft off its schedule: it stays approved, and nothing is sent."""
    draft = pressed(draft_id)
    container = container_of()
    try:
        container.schedules.unschedule(draft, g.staff.email)
    except MailerError as exc:  # it started meanwhile, or was changed
        return show(container.drafts.get(draft.id) or draft, status=409, error=str(exc))
    detail = {"draft": draft.id, "was": draft.scheduled_for}
    container.audit_log.record(g.staff, "unscheduled a draft", detail)
    flash(
        "Unscheduled: it is still approved, and nothing goes out until a sender sends or "
        "schedules it."
    )
    return redirect(url_for("staff_drafts.draft_page", draft_id=draft.id), 303)
