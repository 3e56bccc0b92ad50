"""Staff pages for announcing a resource and following a campaign.

The preview is the sender's own rendering for each chosen group (subject, HTML in a sandboxed
frame, text) with the exact number of people each group has; "Send me a test" mails the signed-in
member; "Send to N people" asks once more, then hands the campaign to the planner. One
announcement per resource: a double click, a refresh or a retried request sends nothing twice.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, Response, abort, flash, g, redirect, request, url_for

from mailer.campaigns.model import COUNTED, Campaign, Kind, Period, campaign_id
from mailer.campaigns.preview import Preview, preview, reader
from mailer.errors import MailerError

from .extensions import container_of
from .staff import page, staff_required
from .staff_forms import AnnounceForm, ButtonForm

bp = Blueprint("staff_campaigns", __name__, url_prefix="/staff")
TEST_LIMIT = 20  # test emails per member an hour: plenty to check a draft, no mail cannon

_DONE = {
    "pause": "Paused: nothing more is sent until you resume.",
    "resume": "Resumed: sending carries on where it stopped.",
    "cancel": "Cancelled: no one else gets it.",
}
# The preview frame shows an email as a mail client would: its inline styles, nothing else.
_PREVIEW_CSP = (
    "default-src 'none'; img-src 'self' https: data:; style-src 'unsafe-inline'; "
    "frame-ancestors 'self'; sandbox"
)


def _campaign(resource_id: str, form: AnnounceForm) -> Campaign:
    """The announcement the form describes; MailerError explains a bad resource or audience."""
    return container_of().planner.announcement(
        resource_id, form.audiences.data or [], (form.message.data or "").strip()
    )


def _previews(campaign: Campaign, to: str = "") -> dict[str, Preview | None]:
    """Each chosen group's email, for a stand-in reader (or addressed `to` someone)."""
    container = container_of()
    return {
        audience: preview(
            container.sender,
            campaign,
            container.resources(),
            reader(audience, email=to),
            container.settings.site_url,
        )
        for audience in campaign.audiences
    }


def _counts(campaign: Campaign) -> dict[str, int]:
    """How many confirmed subscribers of each audience the announcement would reach."""
    return {plan.audience: plan.relevant for plan in container_of().planner.dry_run(campaign)}


def _form(resource_id: str) -> tuple[AnnounceForm, Any]:
    container = container_of()
    found = container.catalogue_store.get(resource_id, container.vocabulary)
    if found is None or found[1]:
        abort(404, "There is no such resource in the catalogue (it may be retired).")
    resource = found[0]
    form = AnnounceForm(container.vocabulary, resource, request.values)
    return form, resource


@bp.get("/announce/<resource_id>")
@staff_required()
def announce(resource_id: str) -> Any:
    """Choose audiences and an intro; see exactly what each group will get, and how many."""
    form, resource = _form(resource_id)
    existing = container_of().campaigns.status(campaign_id(Kind.ANNOUNCEMENT, None, resource_id))
    try:
        campaign = _campaign(resource_id, form)
    except MailerError as exc:
        return page("staff/announce.html", 400, form=form, resource=resource, error=str(exc))
    counts = _counts(campaign)
    return page(
        "staff/announce.html",
        form=form,
        resource=resource,
        campaign=campaign,
        previews=_previews(campaign),
        counts=counts,
        total=sum(counts.values()),
        existing=existing,
        button=ButtonForm(),
    )


@bp.get("/announce/<resource_id>/preview/<audience>.html")
@staff_required()
def preview_html(resource_id: str, audience: str) -> Any:
    """One group's HTML, for the preview frame."""
    form, _ = _form(resource_id)
    try:
        campaign = _campaign(resource_id, form)
    except MailerError as exc:
        abort(400, str(exc))
    shown = _previews(campaign).get(audience)
    if shown is None:
        abort(404, "This group gets no email from this announcement.")
    return _frame(shown)


def _frame(shown: Preview) -> Response:
    """An email's HTML for a sandboxed preview frame."""
    response = Response(shown.email.html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = _PREVIEW_CSP
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


def _posted(resource_id: str) -> tuple[AnnounceForm, Any, Campaign]:
    """The form a button posted, its resource, and the announcement it describes (or a 400
    that says what is wrong: a missing CSRF token, an audience the resource is not for)."""
    form, resource = _form(resource_id)
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400, "Please use the buttons on the announcement page.")
        problems = [f"{form[name].label.text}: {' '.join(e)}" for name, e in form.errors.items()]
        abort(400, "; ".join(problems))
    try:
        return form, resource, _campaign(resource_id, form)
    except MailerError as exc:
        abort(400, str(exc))


@bp.post("/announce/<resource_id>/test")
@staff_required(fresh=True)  # to the address Cognito holds now, verified
def send_test(resource_id: str) -> Any:
    """Mail the signed-in member what each chosen group will get (links lead nowhere)."""
    form, _, campaign = _posted(resource_id)
    container = container_of()
    sent = 0
    for shown in _previews(campaign, to=g.staff.email).values():
        if shown is None:
            continue
        if not container.rate_limiter.hit(f"staff-test:{g.staff.subject}", TEST_LIMIT, 3600):
            container.audit_log.record(g.staff, "test refused: hourly limit", {"sent": sent})
            abort(429, f"You have had {TEST_LIMIT} test emails this hour. Try again later.")
        container.one_off_ses.send_raw(shown.raw, to=g.staff.email, tags={"kind": "test"})
        sent += 1
    container.audit_log.record(g.staff, "sent a test", {"resource": resource_id, "emails": sent})
    flash(f"Sent {sent} test email(s) to {g.staff.email}.")
    return redirect(
        url_for("staff_campaigns.announce", resource_id=resource_id, **_query(form)), 303
    )


@bp.post("/announce/<resource_id>/send")
@staff_required(sender=True)
def send(resource_id: str) -> Any:
    """Ask once more, then hand the campaign to the planner (once per resource)."""
    form, resource, campaign = _posted(resource_id)
    container = container_of()
    existing = container.campaigns.status(campaign.id)
    if existing is not None:
        flash("This resource has been announced already: nothing more was sent.")
        return redirect(url_for("staff_campaigns.campaign", campaign=campaign.id), 303)
    total = sum(_counts(campaign).values())
    if total == 0:
        error = "Nobody in the chosen groups wants this resource's topics: no one to send it to."
        return page("staff/announce.html", 400, form=form, resource=resource, error=error)
    if request.form.get("confirmed") != "yes":
        return page("staff/confirm_send.html", form=form, resource=resource, total=total)
    container.campaign_starter.start(campaign)
    detail = {"campaign": campaign.id, "recipients": total}
    container.audit_log.record(g.staff, "sent an announcement", detail)
    flash("Sending has started.")
    return redirect(url_for("staff_campaigns.campaign", campaign=campaign.id), 303)


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
    return page("staff/digest.html", campaign=campaign, previews=_previews(campaign), plans=plans)


@bp.get("/digest/<audience>.html")
@staff_required()
def next_digest_html(audience: str) -> Any:
    """One audience's next digest (every topic), for the preview frame."""
    shown = _previews(_next_digest()).get(audience)
    if shown is None:
        abort(404, "This group gets no digest next month.")
    return _frame(shown)


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
    return page("staff/campaign.html", campaign_status=status, columns=COUNTED, button=ButtonForm())


@bp.post("/campaigns/<path:campaign>/<any(pause, resume, cancel):action>")
@staff_required(sender=True)
def control(campaign: str, action: str) -> Any:
    """Pause, resume or cancel a campaign that is still sending."""
    if not ButtonForm().validate_on_submit():
        abort(400, "Please use the buttons on the campaign page.")
    container = container_of()
    try:
        done = container.planner.control(campaign, action)
    except MailerError as exc:
        abort(404, str(exc))
    past = {"pause": "paused", "resume": "resumed", "cancel": "cancelled"}[action]
    if done:
        container.audit_log.record(g.staff, f"{past} a campaign", {"campaign": campaign})
        flash(_DONE[action])
    else:
        flash(f"This campaign cannot be {past} now (it may have finished).")
    return redirect(url_for("staff_campaigns.campaign", campaign=campaign), 303)


def _query(form: AnnounceForm) -> dict[str, Any]:
    return {"audiences": form.audiences.data or [], "message": form.message.data or ""}
