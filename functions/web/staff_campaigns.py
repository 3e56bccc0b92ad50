"""Staff pages for following campaigns (list, counts, pause, resume, cancel) and for seeing
next month's digest. Announcements are drafted, approved and sent in staff_drafts.py."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, abort, flash, g, redirect, request, url_for

from mailer.campaigns.model import COUNTED, Campaign, Period
from mailer.errors import MailerError

from .extensions import container_of
from .staff import page, staff_required
from .staff_forms import ButtonForm
from .staff_previews import email_frame, previews

bp = Blueprint("staff_campaigns", __name__, url_prefix="/staff")

_DONE = {
    "pause": "Paused: nothing more is sent until you resume.",
    "resume": "Resumed: sending carries on where it stopped.",
    "cancel": (
        "Cancelled: no one else gets it, but for anyone whose email was already on its way "
        "(they count as sent)."
    ),
}


def _next_digest() -> Campaign:
    """The digest the schedule starts next (on the 1st of next month), as the planner builds it."""
    container = container_of()
    today = dt.datetime.fromtimestamp(container.clock(), dt.UTC).date()
    return container.planner.digest(Period(today.year, today.month).next)


@bp.get("/digest")
@staff_required()
def next_digest() -> Any:
    """What each audience's next monthly digest holds, from the same selection code."""
    campaign = _next_digest()
    plans = {plan.audience: plan for plan in container_of().planner.dry_run(campaign)}
    return page("staff/digest.html", campaign=campaign, previews=previews(campaign), plans=plans)


@bp.get("/digest/<audience>.html")
@staff_required()
def next_digest_html(audience: str) -> Any:
    """One audience's next digest (every topic), for the preview frame."""
    shown = previews(_next_digest()).get(audience)
    if shown is None:
        abort(404, "This group gets no digest next month.")
    return email_frame(shown)


@bp.get("/campaigns/")
@staff_required()
def campaigns() -> Any:
    """Every digest and announcement, newest first."""
    return page("staff/campaigns.html", statuses=container_of().campaigns.list())


@bp.get("/campaigns/<path:campaign>")
@staff_required()
def campaign(campaign: str) -> Any:
    """A campaign's counts, refreshed every few seconds while it sends."""
    status = container_of().campaigns.status(campaign)
    if status is None:
        abort(404, "There is no such campaign.")
    return page(
        "staff/campaign.html",
        campaign_status=status,
        columns=COUNTED,
        button=ButtonForm(),
        archived=container_of().archive.of_campaign(status.campaign),
    )


@bp.post("/campaigns/<path:campaign>/<any(pause, resume, cancel):action>")
@staff_required(sender=True)
def control(campaign: str, action: str) -> Any:
    """Pause, resume or cancel a campaign that is still sending. Cancel asks first, naming who
    has had it and who will not; resume and cancel hand the requeue of parked jobs to the
    planner, which pages through them (a big campaign's would outlast this request)."""
    if not ButtonForm().validate_on_submit():
        abort(400, "Please use the buttons on the campaign page.")
    container = container_of()
    status = container.campaigns.status(campaign)
    if status is None:
        abort(404, "There is no such campaign.")
    if action == "cancel" and request.form.get("confirmed") != "yes":
        return page("staff/confirm_cancel.html", campaign_status=status, button=ButtonForm())
    try:
        done = container.planner.control(campaign, action, requeue=False)
        if done and action != "pause":
            container.campaign_starter.requeue(campaign)
    except MailerError as exc:
        abort(409, str(exc))
    past = {"pause": "paused", "resume": "resumed", "cancel": "cancelled"}[action]
    if done:
        container.audit_log.record(g.staff, f"{past} a campaign", {"campaign": campaign})
        flash(_DONE[action])
    else:
        flash(f"This campaign cannot be {past} now (it may have finished).")
    return redirect(url_for("staff_campaigns.campaign", campaign=campaign), 303)
