"""Staff pages for announcement drafts: start one from a resource, edit and save it, see exactly
what each group will get (always the draft as saved), send yourself a test, and, for senders,
approve (which freezes it) and send what was approved.

Every button posts only the draft's id and the version its page showed: no copy of the form's
state travels with it, so a test or a send can only carry what the page displayed. A button
pressed on an older version (another tab, another member's save) changes nothing and says so.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, g, make_response, redirect, request, url_for

from mailer.campaigns.approval import AlreadyAnnouncedError
from mailer.campaigns.drafts import Draft, DraftState, StaleDraftError
from mailer.campaigns.model import Kind
from mailer.errors import MailerError

from .extensions import container_of
from .schedule_forms import ScheduleForm, schedule_form
from .staff import page, staff_required
from .staff_digests import STALE_PAGE, confirm_send, note_detail, started
from .staff_digests import save as save_digest
from .staff_digests import show as show_digest
from .staff_forms import ButtonForm, DraftForm, DraftVersionForm, draft_form
from .staff_previews import counts, email_frame, previews, test_recipients

bp = Blueprint("staff_drafts", __name__, url_prefix="/staff")
TEST_LIMIT = 20  # test emails per member an hour: plenty to check a draft, no mail cannon


def _resource(resource_id: str) -> Any:
    container = container_of()
    found = container.catalogue_store.get(resource_id, container.vocabulary)
    if found is None or found[1]:
        abort(404, "There is no such resource in the catalogue (it may be retired).")
    return found[0]


def draft_or_404(draft_id: str) -> Draft:
    """The draft with this id, or a 404 page."""
    draft = container_of().drafts.get(draft_id) if draft_id.isalnum() else None
    if draft is None:
        abort(404, "There is no such draft.")
    return draft


@bp.get("/announce/<resource_id>")
@staff_required()
def announce(resource_id: str) -> Any:
    """A resource's announcements: which groups have had it, its drafts, and a new draft."""
    resource = _resource(resource_id)
    container = container_of()
    earlier = container.approvals.announced_to(resource_id)
    drafts = [d for d in container.drafts.list() if d.resource_id == resource_id]
    return page(
        "staff/announce.html",
        resource=resource,
        earlier=earlier,
        drafts=drafts,
        left=[a for a in resource.audiences if a not in earlier],
        button=ButtonForm(),
    )


@bp.post("/announce/<resource_id>")
@staff_required()
def start_draft(resource_id: str) -> Any:
    """Start a draft announcing the resource to every group of its own that has not had it."""
    if not ButtonForm().validate_on_submit():
        abort(400, "Please use the button on the announcement page.")
    resource = _resource(resource_id)
    container = container_of()
    try:
        draft = container.approvals.start(resource, g.staff.email)
    except AlreadyAnnouncedError:
        flash("Every group this resource is for has had it announced already.")
        return redirect(url_for("staff_drafts.announce", resource_id=resource_id), 303)
    container.audit_log.record(
        g.staff, "created a draft", {"draft": draft.id, "resource": resource_id}
    )
    return redirect(url_for("staff_drafts.draft_page", draft_id=draft.id), 303)


@bp.get("/drafts/")
@staff_required()
def drafts() -> Any:
    """Every draft, most recently changed first."""
    return page("staff/drafts.html", drafts=container_of().drafts.list())


def _form_for(draft: Draft, resource: Any, data: Any = None) -> DraftForm:
    form = draft_form(container_of().vocabulary, resource, data)
    if data is None:  # showing the draft as saved
        form.audiences.data = list(draft.audiences)
        form.message.data = draft.message
        form.note.data = draft.notes.get("*", "")
        for audience, field in form.subject_fields():
            field.data = draft.subjects.get(audience, "")
    form.version.data = str(draft.version)
    return form


def show(
    draft: Draft,
    form: DraftForm | None = None,
    status: int = 200,
    error: str = "",
    schedule: ScheduleForm | None = None,
) -> Any:
    """The draft page: the edit form, then every group's email as the draft is saved (or as
    approved: then the resource as it was frozen, whatever the catalogue says since)."""
    if draft.kind is Kind.DIGEST:
        return show_digest(draft, None, status, error, schedule)
    frozen = draft.snapshot.resources if draft.snapshot else ()
    resource = next(iter(frozen), None) or _resource(draft.resource_id)
    form = form or _form_for(draft, resource)
    campaign = problem = None
    shown: dict[str, Any] = {}
    people: dict[str, int] = {}
    try:
        campaign = container_of().approvals.campaign_of(draft)
        shown, people = previews(campaign), counts(campaign)
    except MailerError as exc:
        problem = str(exc)
    return page(
        "staff/draft.html",
        status,
        draft=draft,
        resource=resource,
        form=form,
        campaign=campaign,
        previews=shown,
        counts=people,
        total=sum(people.values()),
        error=error or problem,
        button=DraftVersionForm(version=str(draft.version)),
        earlier=container_of().approvals.announced_to(draft.resource_id),
        test_to=test_recipients(g.staff.email),
        schedule=schedule or schedule_form(draft, container_of().schedules.now()),
    )


@bp.get("/drafts/<draft_id>")
@staff_required()
def draft_page(draft_id: str) -> Any:
    """A draft, editable, with its saved version's previews and the buttons that act on it."""
    return show(draft_or_404(draft_id))


@bp.post("/drafts/<draft_id>")
@staff_required()
def save(draft_id: str) -> Any:
    """Store an edit: each field's problem beside it, nothing stored, everything typed kept."""
    draft = draft_or_404(draft_id)
    if draft.kind is Kind.DIGEST:
        return save_digest(draft)
    form = _form_for(draft, _resource(draft.resource_id), request.form)
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400, "Please use the buttons on the draft's page.")
        return show(draft, form, 400, "Nothing was saved: please see the messages below.")
    if not form.audiences.data:
        form.audiences.errors = ["Choose at least one group."]
        return show(draft, form, 400, "Nothing was saved: please see the messages below.")
    if form.version_seen() != draft.version:
        return _stale(draft, form)
    container = container_of()
    try:
        saved = container.drafts.save(
            draft,
            audiences=form.audiences.data,
            message=(form.message.data or "").strip(),
            subjects=form.subjects(),
            member=g.staff.email,
            notes={"*": (form.note.data or "").strip()},
        )
    except StaleDraftError as exc:
        return show(container.drafts.get(draft.id) or draft, form, 409, str(exc))
    # The note's words by version: the audit log keeps what each version said.
    detail = {"draft": draft.id, "version": saved.version, **note_detail(saved.notes)}
    container.audit_log.record(g.staff, "edited a draft", detail)
    flash(
        "Saved. A sender must approve it again before it is sent."
        if draft.state is DraftState.APPROVED
        else "Saved: the previews below show it as saved."
    )
    return redirect(url_for("staff_drafts.draft_page", draft_id=draft.id), 303)


def _stale(draft: Draft, form: DraftForm | None = None) -> Any:
    return show(draft, form, 409, STALE_PAGE)


def pressed(draft_id: str) -> Draft:
    """The draft a button posted for, if the button's page showed its current version."""
    draft = draft_or_404(draft_id)
    form = DraftVersionForm()
    if not form.validate_on_submit():
        abort(400, "Please use the buttons on the draft's page.")
    if form.version_seen() != draft.version:
        abort(make_response(*_stale(draft)))
    return draft


@bp.get("/drafts/<draft_id>/preview/<audience>.html")
@staff_required()
def preview_html(draft_id: str, audience: str) -> Any:
    """One group's email as the draft is saved, for the preview frame."""
    draft = draft_or_404(draft_id)
    try:
        shown = previews(container_of().campaign_of(draft)).get(audience)
    except MailerError as exc:
        abort(400, str(exc))
    if shown is None:
        abort(404, "This group gets no email from this draft.")
    return email_frame(shown)


@bp.post("/drafts/<draft_id>/test")
@staff_required(fresh=True)  # to the address Cognito holds now, verified
def send_test(draft_id: str) -> Any:
    """Mail each group's email, exactly as the page showed it and marked as a test, to the
    member, another member of staff or a configured test address."""
    draft = pressed(draft_id)
    container = container_of()
    allowed = test_recipients(g.staff.email)
    to = request.form.get("to") or g.staff.email
    if to not in allowed:
        return show(draft, status=400, error="Choose who gets the test from the list.")
    try:
        shown = previews(container_of().campaign_of(draft), to=to, test=True)
    except MailerError as exc:
        return show(draft, status=400, error=str(exc))
    sent = 0
    for email in shown.values():
        if email is None:
            continue
        if not container.rate_limiter.hit(f"staff-test:{g.staff.subject}", TEST_LIMIT, 3600):
            container.audit_log.record(g.staff, "test refused: hourly limit", {"sent": sent})
            abort(429, f"You have had {TEST_LIMIT} test emails this hour. Try again later.")
        container.one_off_ses.send_raw(email.raw, to=to, tags={"kind": "test"})
        sent += 1
    whom = "themselves" if to == g.staff.email else "another address on the list"
    detail = {"draft": draft.id, "version": draft.version, "emails": sent, "to": whom}
    container.audit_log.record(g.staff, "sent a test", detail)
    flash(f"Sent {sent} test email{'' if sent == 1 else 's'} to {to}.")
    return redirect(url_for("staff_drafts.draft_page", draft_id=draft.id), 303)


@bp.post("/drafts/<draft_id>/approve")
@staff_required(sender=True)
def approve(draft_id: str) -> Any:
    """Freeze the draft as the page showed it: what is sent later is exactly this."""
    draft = pressed(draft_id)
    container = container_of()
    approvals = container.digests if draft.kind is Kind.DIGEST else container.approvals
    try:
        approved = approvals.approve(draft, g.staff.email)
    except MailerError as exc:  # a group that had it, a resource gone, a stale press
        return show(container.drafts.get(draft.id) or draft, status=409, error=str(exc))
    detail = {"draft": draft.id, "version": approved.version}
    container.audit_log.record(g.staff, "approved a draft", detail)
    flash("Approved: this is now exactly what will be sent.")
    return redirect(url_for("staff_drafts.draft_page", draft_id=draft.id), 303)


@bp.post("/drafts/<draft_id>/send")
@staff_required(sender=True)
def send(draft_id: str) -> Any:
    """Ask once more, naming groups, counts, subjects and introduction; then send as approved."""
    draft = draft_or_404(draft_id)
    container = container_of()
    if draft.state is DraftState.SENT:  # a double click, a refresh, a second tab
        flash("This draft has been sent already: nothing more was sent.")
        return redirect(url_for("staff_campaigns.campaign", campaign=draft.campaign_id), 303)
    draft = pressed(draft_id)
    if draft.state is DraftState.SCHEDULED:
        error = "This draft is scheduled: unschedule it first to send it now."
        return show(draft, status=409, error=error)
    if draft.state is not DraftState.APPROVED:
        return show(draft, status=409, error="A sender must approve this draft first.")
    if draft.kind is Kind.DIGEST:
        return _send_held_digest(draft)
    campaign = container.approvals.campaign_of(draft)
    people = counts(campaign)
    if not sum(people.values()):
        error = "Nobody in the chosen groups wants this resource's topics: no one to send it to."
        return show(draft, status=400, error=error)
    if request.form.get("confirmed") != "yes":
        return confirm_send(draft, campaign, people, _resource(draft.resource_id))
    try:
        campaign = container.approvals.send(draft, g.staff.email)
    except MailerError as exc:
        return show(container.drafts.get(draft.id) or draft, status=409, error=str(exc))
    return started("sent an announcement", campaign.id, draft, people)


def _send_held_digest(draft: Draft) -> Any:
    """Send a digest whose 1st has passed (it was held for approval), asking once more."""
    container = container_of()
    campaign = container.digests.campaign_of(draft)
    people = counts(campaign)
    if request.form.get("confirmed") != "yes":
        return confirm_send(draft, campaign, people, None)
    try:
        sent = container.digests.send_held(draft, g.staff.email)
    except MailerError as exc:
        return show(container.drafts.get(draft.id) or draft, status=409, error=str(exc))
    assert sent.campaign is not None  # a send always has one
    return started("sent a digest", sent.campaign.id, draft, people)


@bp.post("/drafts/<draft_id>/discard")
@staff_required()
def discard(draft_id: str) -> Any:
    """Set a draft aside (it stays in the list, marked discarded). A month's digest draft only
    by a sender: discarding it means no digest that month."""
    draft = pressed(draft_id)
    if draft.kind is Kind.DIGEST and not g.staff.is_sender:
        abort(403, "Only a member of the senders group can discard a month's digest.")
    container = container_of()
    try:
        container.drafts.discard(draft, g.staff.email)
    except StaleDraftError as exc:
        return show(draft, status=409, error=str(exc))
    container.audit_log.record(g.staff, "discarded a draft", {"draft": draft.id})
    flash("Discarded.")
    return redirect(url_for("staff_drafts.drafts"), 303)
