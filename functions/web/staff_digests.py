"""Staff pages for the monthly digest's draft: the next digest (prepared, or when it will be and
a button to prepare it now), and the digest half of the draft page (staff_drafts.py routes every
draft's buttons; a digest draft's page, form and save are here).

Any member of staff edits a digest draft: each group's subject and featured resources (keep or
take out, order, put back, add one). Only a sender approves it; the schedule sends it on the 1st
exactly as approved (or, unapproved, as the DIGEST_UNAPPROVED setting says).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, g, redirect, request, url_for

from mailer.campaigns.digests import DigestView
from mailer.campaigns.drafts import Draft, DraftState, StaleDraftError
from mailer.errors import MailerError

from .digest_forms import DigestDraftForm, digest_draft_form
from .extensions import container_of
from .schedule_forms import ScheduleForm, schedule_form
from .staff import page, staff_required
from .staff_forms import ButtonForm, DraftVersionForm
from .staff_previews import counts, email_frame, previews, test_recipients

bp = Blueprint("staff_digests", __name__, url_prefix="/staff")
# What every draft page says when a press came from an older version of it.
STALE_PAGE = (
    "This draft changed since your page was shown (another tab, or another member): "
    "nothing was done. Here it is as it is now."
)


@bp.get("/digest")
@staff_required()
def next_digest() -> Any:
    """The next digest: its draft once prepared; before that, what it would hold now."""
    container = container_of()
    draft = container.digests.draft_for(container.digests.next_period())
    if container.drafts.get(draft.id) is not None:
        return redirect(url_for("staff_drafts.draft_page", draft_id=draft.id), 303)
    campaign = container.digests.campaign_of(draft)
    assert campaign.period is not None  # a digest's
    return page(
        "staff/digest.html",
        campaign=campaign,
        prepares_on=container.digests.prepares_on(campaign.period),
        previews=previews(campaign),
        counts=counts(campaign),
        button=ButtonForm(),
    )


@bp.get("/digest/<audience>.html")
@staff_required()
def next_digest_html(audience: str) -> Any:
    """One group's next digest (every topic), for the preview frame."""
    digests = container_of().digests
    shown = previews(digests.campaign_of(digests.draft_for(digests.next_period()))).get(audience)
    if shown is None:
        abort(404, "This group gets no digest next month.")
    return email_frame(shown)


@bp.post("/digest/prepare")
@staff_required()
def prepare() -> Any:
    """Prepare next month's draft now rather than on its day (the senders are told)."""
    if not ButtonForm().validate_on_submit():
        abort(400, "Please use the button on the digest page.")
    container = container_of()
    draft, created = container.digests.prepare(
        container.digests.next_period(), member=g.staff.email
    )
    if created:
        container.audit_log.record(g.staff, "prepared a digest draft", {"draft": draft.id})
        flash("Prepared: the senders have been told it is ready for review.")
    return redirect(url_for("staff_drafts.draft_page", draft_id=draft.id), 303)


def show(
    draft: Draft,
    form: DigestDraftForm | None = None,
    status: int = 200,
    error: str = "",
    schedule: ScheduleForm | None = None,
) -> Any:
    """A digest draft's page: each group's choice (editable), what waits for a sender's review,
    and each group's email as saved (or as approved: frozen, whatever the catalogue says)."""
    container = container_of()
    view = container.digests.view(draft)
    form = form or _form(view)
    campaign = problem = None
    shown: dict[str, Any] = {}
    people: dict[str, int] = {}
    try:
        campaign = container.digests.campaign_of(draft)
        shown, people = previews(campaign), counts(campaign)
    except MailerError as exc:
        problem = str(exc)
    return page(
        "staff/digest_draft.html",
        status,
        draft=draft,
        view=view,
        form=form,
        campaign=campaign,
        frozen=_frozen(campaign),
        previews=shown,
        counts=people,
        total=sum(people.values()),
        due=container.digests.today() >= view.period.start,
        unapproved=container.digests.unapproved,
        error=error or problem,
        button=DraftVersionForm(version=str(draft.version)),
        test_to=test_recipients(g.staff.email),
        schedule=schedule or schedule_form(draft, container.schedules.now()),
    )


def _frozen(campaign: Any) -> dict[str, list[Any]]:
    """Each group's featured resources as the campaign shows them (approved: as frozen)."""
    if campaign is None or campaign.snapshot is None:
        return {}
    by_id = {r.id: r for r in campaign.snapshot.resources}
    return {
        a: [by_id[i] for i in ids if i in by_id] for a, ids in campaign.snapshot.features.items()
    }


def _form(view: DigestView, data: Any = None) -> DigestDraftForm:
    form = digest_draft_form(container_of().vocabulary, view, data)
    if data is None:  # the draft as saved
        form["note__all"].data = view.draft.notes.get("*", "")
        for audience in view.groups:
            fields = form.group_fields(audience)
            fields["subject"].data = view.draft.subjects.get(audience, "")
            fields["note"].data = view.draft.notes.get(audience, "")
    form.version.data = str(view.draft.version)
    return form


def save(draft: Draft) -> Any:
    """Store an edit: each field's problem beside it, nothing stored, everything typed kept."""
    container = container_of()
    view = container.digests.view(draft)
    form = _form(view, request.form)
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400, "Please use the buttons on the draft's page.")
        return show(draft, form, 400, "Nothing was saved: please see the messages below.")
    if form.version_seen() != draft.version:
        return show(draft, None, 409, STALE_PAGE)
    order, removed = form.choice()
    try:
        saved = container.digests.save(
            draft,
            order=order,
            removed=removed,
            subjects=form.subjects(),
            member=g.staff.email,
            notes=form.notes(),
        )
    except StaleDraftError as exc:
        return show(container.drafts.get(draft.id) or draft, None, 409, str(exc))
    detail = {"draft": draft.id, "version": saved.version, **note_detail(saved.notes)}
    container.audit_log.record(g.staff, "edited a draft", detail)
    flash(
        "Saved. A sender must approve it again before it is sent as approved."
        if draft.state is DraftState.APPROVED
        else "Saved: the previews below show it as saved."
    )
    return redirect(url_for("staff_drafts.draft_page", draft_id=draft.id), 303)


def note_detail(notes: dict[str, str] | Any) -> dict[str, str]:
    """The notes as audit detail, one entry a group ("note (all)" for every group)."""
    return {f"note ({'all' if a == '*' else a})": n for a, n in notes.items()}


def confirm_send(draft: Draft, campaign: Any, people: dict[str, int], resource: Any) -> Any:
    """The step before a send: each group, its count and subject, once more."""
    return page(
        "staff/confirm_send.html",
        draft=draft,
        resource=resource,
        campaign=campaign,
        previews=previews(campaign),
        counts=people,
        total=sum(people.values()),
        button=DraftVersionForm(version=str(draft.version)),
    )


def started(action: str, campaign_id: str, draft: Draft, people: dict[str, int]) -> Any:
    """Audit a send that has started and open its campaign's page."""
    detail = {"campaign": campaign_id, "draft": draft.id, "recipients": sum(people.values())}
    container_of().audit_log.record(g.staff, action, detail)
    flash("Sending has started.")
    return redirect(url_for("staff_campaigns.campaign", campaign=campaign_id), 303)
