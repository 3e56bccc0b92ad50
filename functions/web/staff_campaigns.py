"""Staff pages for following campaigns (list, counts, pause, resume, cancel). Campaigns are
drafted, approved and sent in staff_drafts.py (the digest's draft: staff_digests.py)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, g, redirect, request, url_for

from mailer.campaigns.model import COUNTED
from mailer.errors import MailerError

from .extensions import container_of
from .staff import page, staff_required
from .staff_forms import ButtonForm

bp = Blueprint("staff_campaigns", __name__, url_prefix="/staff")

_DONE = {
    "pause": "Paused: nothing more is sent until you resume.",
    "resume": "Resumed: sending carries on where it stopped.",
    "cancel": (
        "Cancelled: no one else gets it, but for anyone whose email was already on its way "
        "(they count as sent)."
    ),
}


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


@bp.post("/campaigns/<path:campaign>/copy")
@staff_required()
def copy(campaign: str) -> Any:
    """Copy a cancelled announcement into a new draft: sent, it reaches only those the
    cancelled one did not."""
    if not ButtonForm().validate_on_submit():
        abort(400, "Please use the button on the campaign page.")
    container = container_of()
    try:
        draft = container.approvals.copy(campaign, g.staff.email)
    except MailerError as exc:
        abort(409, str(exc))
    detail = {"draft": draft.id, "campaign": campaign}
    container.audit_log.record(g.staff, "copied a cancelled campaign into a draft", detail)
    flash("A new draft: it goes only to those the cancelled campaign did not reach.")
    return redirect(url_for("staff_drafts.draft_page", draft_id=draft.id), 303)
