"""The public subscribe form, its embeddable variant, and the one answer every visitor gets."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, url_for

from mailer.subscribers.provenance import CONFIRM_NOTE, PRIVACY_NOTE

from .extensions import container_of, csrf
from .forms import SubscribeForm

bp = Blueprint("subscribe", __name__)


def _form() -> SubscribeForm:
    container = container_of()
    form = SubscribeForm(container.vocabulary)
    if request.method == "GET":
        form.topics.data = list(container.vocabulary.topics)  # default: every topic
    return form


def _page(form: SubscribeForm, template: str, status: int = 200, proof_error: str = ""):
    # The lifecycle's imports (the email renderer, SES, altcha) are imported by the first page
    # that needs them, not by the web function's cold start, whose first page is the catalogue.
    from mailer.subscribers.lifecycle import consent_statement

    container = container_of()
    return render_template(
        template,
        form=form,
        consent=consent_statement(container.settings.organisation_name),
        # The same words are stored with each confirmation (provenance.py), so keep them one.
        confirm_note=CONFIRM_NOTE,
        privacy_note=PRIVACY_NOTE,
        challenge=container.proof_of_work.challenge(container.subscriptions.under_pressure()),
        proof_error=proof_error,
    ), status


@bp.get("/subscribe")
def subscribe_page():
    """The subscribe form."""
    return _page(_form(), "subscribe.html")


def _frameable(page):
    """The embedded pages alone may be framed; everything else keeps frame-ancestors 'none'."""
    response = current_app.make_response(page)
    response.headers["Content-Security-Policy"] = current_app.config["EMBED_CSP"]
    return response


@bp.get("/subscribe/embed")
def embed_page():
    """A compact form for an iframe on the charity's own site."""
    return _frameable(_page(_form(), "subscribe_embed.html"))


def _check_your_email(started: float, embedded: bool):
    """The one answer to every accepted submission, no sooner than a fixed time after it began,
    so timing cannot tell a new address from a subscribed, rate-limited or suppressed one (only
    some of them send an email)."""
    container = container_of()
    elapsed = container.monotonic() - started
    remaining = current_app.config["SUBSCRIBE_MIN_RESPONSE_SECONDS"] - elapsed
    if remaining > 0:
        container.sleep(remaining)
    return redirect(url_for("subscribe.check_email", embedded=int(embedded)), 303)


@bp.post("/subscribe")
@csrf.exempt  # the form carries its own cookie-free CSRF token (forms.SignedTimestampCSRF)
def subscribe():
    """Start a double opt-in; the answer is the same whoever the address belongs to."""
    from mailer.subscribers.lifecycle import SignupRequest  # imported here: see _page
    from mailer.subscribers.proof import Proof

    started = container_of().monotonic()
    form = _form()
    embedded = request.form.get("embedded") == "1"
    if form.website.data:
        return _check_your_email(started, embedded)
    container = container_of()
    proof_error = ""
    valid = form.validate()
    if form.replayed:  # its first use got the answer; a second does nothing, answered alike
        return _check_your_email(started, embedded)
    if valid:
        proof = container.proof_of_work.check(request.form.get("altcha", ""))
        if proof is not Proof.INVALID:
            container.subscriptions.subscribe(
                SignupRequest(
                    email=form.email.data,
                    audience=form.audience.data,
                    topics=tuple(form.topics.data or ()),
                    mailings=form.mailings.data or "",
                    client_ip=request.remote_addr or "",
                    proof=proof,
                )
            )
            return _check_your_email(started, embedded)
        proof_error = "The check that this is not a bot did not work. Please press Subscribe again."
    status = 200 if form.too_quick else 400
    if embedded:
        return _frameable(_page(form, "subscribe_embed.html", status, proof_error))
    return _page(form, "subscribe.html", status, proof_error)


@bp.get("/subscribe/check-email")
def check_email():
    """What every subscriber sees next, whether the address is new, pending or confirmed."""
    embedded = request.args.get("embedded") == "1"
    page = render_template("check_email.html", embedded=embedded)
    return _frameable(page) if embedded else page
