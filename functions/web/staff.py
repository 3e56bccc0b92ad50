"""The staff console's front door: sign-in through Cognito (with its challenges), sign-out, and
the guard every /staff page stands behind. Pages for resources and campaigns build on `staff`.

The session lives on the server (mailer/staff/sessions.py); the browser holds only its random
id, in an HttpOnly, Secure, SameSite=Strict cookie. A sign-in in progress (between Cognito's
challenges) is kept in Flask's signed session cookie, which holds no secret of ours.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

import segno
from flask import (
    Blueprint,
    Response,
    abort,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from markupsafe import Markup

from mailer.errors import MailerError
from mailer.staff.dashboard import STATUSES, Reputation, take_census
from mailer.staff.identity import InvalidTokenError
from mailer.staff.signin import MFA_CODE, MFA_SETUP, NEW_PASSWORD, Challenge, SignInError, Tokens

from .extensions import container_of
from .staff_chart import growth_chart
from .staff_forms import ButtonForm, CodeForm, NewPasswordForm, SignInForm

bp = Blueprint("staff", __name__, url_prefix="/staff")
logger = logging.getLogger(__name__)

COOKIE = "staff_session"
# Attempts per 15 minutes, per account and per client: enough for typos, too few for guessing.
ACCOUNT_LIMIT, CLIENT_LIMIT, WINDOW = 10, 30, 900
_STEPS = {
    NEW_PASSWORD: "staff.new_password",
    MFA_SETUP: "staff.authenticator",
    MFA_CODE: "staff.code",
}


@bp.before_request
def _console_configured() -> None:
    if not container_of().staff_console_enabled:
        abort(404, "There is no staff console on this site.")


def page(template: str, status: int = 200, **context: Any) -> Any:
    """A staff page, with the nav's signed-in member and sign-out button."""
    groups = container_of().vocabulary.audiences  # group names for people, not slugs
    context.setdefault("groups", groups)
    return render_template(template, staff=g.staff, sign_out=ButtonForm(), **context), status


def staff_required(*, sender: bool = False) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Guard a view: anonymous, forged or expired sessions go to sign-in; non-senders get 403."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            _console_configured()
            member = container_of().staff_sessions.member(request.cookies.get(COOKIE, ""))
            if member is None:
                if request.method != "GET":
                    abort(401, "Please sign in again: your session has ended.")
                return redirect(url_for("staff.sign_in", next=request.path), 303)
            if sender and not member.is_sender:
                abort(403, "Only members of the senders group may do that.")
            g.staff = member
            return view(*args, **kwargs)

        return guarded

    return decorate


def _limited(email: str) -> bool:
    """Count a sign-in attempt; True when the account or the client has had too many."""
    limiter = container_of().rate_limiter
    account_ok = limiter.hit(f"staff-sign-in:{email.strip().lower()}", ACCOUNT_LIMIT, WINDOW)
    client_ok = limiter.hit(f"staff-sign-in-client:{request.remote_addr}", CLIENT_LIMIT, WINDOW)
    return not (account_ok and client_ok)


def _pending() -> Challenge:
    data = session.get("staff_challenge")
    if not isinstance(data, dict) or data.get("name") not in _STEPS:
        abort(400, "That sign-in step has expired. Please start again.")
    return Challenge(data["name"], data["session"], data["username"], data.get("secret", ""))


def _advance(step: Challenge | Tokens, email: str) -> Any:
    """Show the next challenge's page, or start the session when signed in."""
    if isinstance(step, Challenge):
        session["staff_challenge"] = {**step.__dict__, "email": email}
        return redirect(url_for(_STEPS[step.name]), 303)
    container = container_of()
    try:
        member = container.token_verifier.verify(step.id_token)
    except InvalidTokenError:
        abort(401, "Sign-in could not be verified. Please try again.")
    session.pop("staff_challenge", None)
    session_id = container.staff_sessions.start(member, step.refresh_token)
    container.audit_log.record(member, "signed in")
    target = request.args.get("next", "")
    response = redirect(target if target.startswith("/staff") else url_for("staff.dashboard"), 303)
    response.set_cookie(
        COOKIE,
        session_id,
        httponly=True,
        secure=request.scheme == "https",
        samesite="Strict",
        path="/staff",
    )
    return response


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> Any:
    """Email address and password."""
    form = SignInForm()
    error = ""
    if form.validate_on_submit():
        email = form.email.data.strip()
        if _limited(email):
            error = "Too many attempts. Wait 15 minutes, then try again."
        else:
            try:
                return _advance(
                    container_of().staff_sign_in.password(email, form.password.data), email
                )
            except SignInError as exc:
                container_of().audit_log.record(email, "sign-in refused")
                error = str(exc)
    status = 400 if request.method == "POST" else 200
    return render_template("staff/sign_in.html", form=form, error=error), status


@bp.route("/sign-in/new-password", methods=["GET", "POST"])
def new_password() -> Any:
    """Choose a password (first sign-in of an account an admin created)."""
    challenge, form, error = _pending(), NewPasswordForm(), ""
    if form.validate_on_submit():
        try:
            step = container_of().staff_sign_in.new_password(challenge, form.password.data)
            return _advance(step, session["staff_challenge"]["email"])
        except SignInError as exc:
            error = str(exc)
    status = 400 if request.method == "POST" else 200
    return render_template("staff/new_password.html", form=form, error=error), status


@bp.route("/sign-in/authenticator", methods=["GET", "POST"])
def authenticator() -> Any:
    """Set up an authenticator app: a QR code drawn here, then its first code."""
    challenge, form, error = _pending(), CodeForm(), ""
    sign_in = container_of().staff_sign_in
    if not challenge.secret:
        challenge = sign_in.start_mfa_setup(challenge)
        session["staff_challenge"] = {**session["staff_challenge"], **challenge.__dict__}
    if form.validate_on_submit():
        try:
            return _advance(
                sign_in.finish_mfa_setup(challenge, form.code.data),
                session["staff_challenge"]["email"],
            )
        except SignInError as exc:
            error = str(exc)
    email = session["staff_challenge"]["email"]
    uri = f"otpauth://totp/Awareness%20mailer:{email}?secret={challenge.secret}&issuer=Awareness%20mailer"
    qr = Markup(segno.make(uri, error="m").svg_inline(scale=4, title="QR code for your app"))  # noqa: S704
    status = 400 if request.method == "POST" else 200
    return render_template(
        "staff/authenticator.html", form=form, error=error, qr=qr, secret=challenge.secret
    ), status


@bp.route("/sign-in/code", methods=["GET", "POST"])
def code() -> Any:
    """The authenticator app's current code."""
    challenge, form, error = _pending(), CodeForm(), ""
    if form.validate_on_submit():
        try:
            step = container_of().staff_sign_in.mfa_code(challenge, form.code.data)
            return _advance(step, session["staff_challenge"]["email"])
        except SignInError as exc:
            error = str(exc)
    status = 400 if request.method == "POST" else 200
    return render_template("staff/code.html", form=form, error=error), status


@bp.post("/sign-out")
@staff_required()
def sign_out() -> Any:
    """End the session here and revoke its refresh token at Cognito."""
    if not ButtonForm().validate_on_submit():
        abort(400, "Please use the sign-out button.")
    container = container_of()
    refresh_token = container.staff_sessions.end(request.cookies.get(COOKIE, ""))
    if refresh_token:
        try:
            container.staff_sign_in.revoke(refresh_token)
        except MailerError:
            # The session is gone already; a token Cognito did not revoke now expires by itself.
            logger.exception("could not revoke a refresh token at sign-out")
    container.audit_log.record(g.staff, "signed out")
    response = redirect(url_for("staff.sign_in"), 303)
    response.delete_cookie(COOKIE, path="/staff")
    return response


def _months(count: int = 12) -> list[str]:
    """The last `count` months, oldest first, as YYYY-MM."""
    today = dt.datetime.fromtimestamp(container_of().clock(), dt.UTC).date()
    year, month, months = today.year, today.month, []
    for _ in range(count):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return months[::-1]


@bp.get("/")
@staff_required()
def dashboard() -> Any:
    """Subscribers by audience and status, and their growth month by month."""
    container = container_of()
    census = take_census(
        container.table(container.settings.subscribers_table), container.vocabulary.audiences
    )
    since = dt.datetime.fromtimestamp(container.clock() - 30 * 24 * 3600, dt.UTC)
    since_iso = since.isoformat(timespec="seconds")
    events = container.ses_event_markers.counts_since(since_iso)
    sent = sum(s.totals["sent"] for s in container.campaigns.list() if s.started_at >= since_iso)
    return page(
        "staff/dashboard.html",
        census=census,
        statuses=STATUSES,
        labels=container.vocabulary.audiences,
        reputation=Reputation(sent, events["bounce"], events["complaint"]),
    )


@bp.get("/chart.svg")
@staff_required()
def chart() -> Any:
    """The growth chart (an image of the numbers the dashboard's table gives)."""
    container = container_of()
    census = take_census(
        container.table(container.settings.subscribers_table), container.vocabulary.audiences
    )
    svg = growth_chart(census, container.vocabulary.audiences, _months())
    response = Response(svg, mimetype="image/svg+xml")
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/audit")
@staff_required()
def audit() -> Any:
    """Every staff action, newest first."""
    entries = container_of().audit_log.recent()
    return render_template(
        "staff/audit.html", entries=entries, staff=g.staff, sign_out=ButtonForm()
    )
