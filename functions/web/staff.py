"""The staff console's front door: sign-in through Cognito (with its challenges), sign-out, and
the guard every /staff page stands behind. Pages for resources and campaigns build on `staff`.

The session lives on the server (mailer/staff/sessions.py); the browser holds only its random
id, in an HttpOnly, Secure, SameSite=Strict cookie, and it is re-validated against Cognito
every 5 minutes and before every sender action (mailer/staff/revalidation.py). A sign-in in
progress lives on the server too (mailer/staff/challenges.py): Flask's session cookie holds only
its random id, never Cognito's session or the authenticator's seed.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable
from functools import wraps
from typing import Any

import segno
from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from markupsafe import Markup

from mailer.errors import MailerError
from mailer.staff.audit import AuditFilter
from mailer.staff.challenges import Pending
from mailer.staff.dashboard import STATUSES, Reputation, take_census
from mailer.staff.identity import InvalidTokenError
from mailer.staff.members import NoSuchMemberError
from mailer.staff.signin import MFA_CODE, MFA_SETUP, NEW_PASSWORD, Challenge, SignInError, Tokens

from .extensions import container_of
from .staff_chart import growth_chart
from .staff_forms import ButtonForm, CodeForm, NewPasswordForm, SignInForm

bp = Blueprint("staff", __name__, url_prefix="/staff")
logger = logging.getLogger(__name__)

COOKIE = "staff_session"
_STEPS = {
    NEW_PASSWORD: "staff.new_password",
    MFA_SETUP: "staff.authenticator",
    MFA_CODE: "staff.code",
}
_LOCKED = "Too many attempts from this network. Wait 15 minutes, then try again."
# Where sign-in may send a member afterwards: a plain path inside the console, nothing that a
# browser could read as another host (//, \\) or that could split a header (controls).
_NEXT = re.compile(r"^/staff(/[A-Za-z0-9._~%-]+)*/?$")


@bp.before_request
def _console_configured() -> None:
    if not container_of().staff_console_enabled:
        abort(404, "There is no staff console on this site.")


def page(template: str, status: int = 200, **context: Any) -> Any:
    """A staff page, with the nav's signed-in member and sign-out button."""
    groups = container_of().vocabulary.audiences  # group names for people, not slugs
    context.setdefault("groups", groups)
    return render_template(template, staff=g.staff, sign_out=ButtonForm(), **context), status


def staff_required(
    *, sender: bool = False, admin: bool = False, fresh: bool = False
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Guard a view: anonymous, forged, expired or no-longer-valid sessions go to sign-in;
    a sender action (or one marked `fresh`: it mails the member) re-validates with Cognito
    first; non-senders (non-admins) get 403."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            _console_configured()
            member = container_of().staff_guard.member(
                request.cookies.get(COOKIE, ""), sender_action=sender or fresh or admin
            )
            if member is None:
                if request.method != "GET":
                    abort(401, "Please sign in again: your session has ended.")
                return redirect(url_for("staff.sign_in", next=request.path), 303)
            if sender and not member.is_sender:
                abort(403, "Only members of the senders group may do that.")
            if admin and not member.is_admin:
                abort(403, "Only members of the admins group may do that.")
            g.staff = member
            return view(*args, **kwargs)

        return guarded

    return decorate


def safe_next(target: str) -> str:
    """`next=` if it is a plain console path, else "" (the dashboard)."""
    segments = target.split("/")
    plain = "//" not in target and "." not in segments and ".." not in segments
    return target if _NEXT.fullmatch(target) and plain else ""


def _client() -> str:
    return request.remote_addr or ""


def _refused(account: str) -> None:
    """Count a failed step; audit the lockout it causes (what was typed only as a hash)."""
    container = container_of()
    if container.sign_in_limits.failed(account, _client()):
        container.audit_log.record("", "sign-in locked out", container.audit_log.typed(account))


def _pending(name: str) -> tuple[str, Pending]:
    """The sign-in in progress, if it waits for this step's challenge (else a 400)."""
    challenge_id = session.get("staff_challenge")
    found = (
        container_of().pending_challenges.find(challenge_id, name)
        if isinstance(challenge_id, str)
        else None
    )
    if found is None:
        abort(400, "That sign-in step has expired. Please start again.")
    return challenge_id, found


def _advance(step: Challenge | Tokens, pending: Pending, challenge_id: str = "") -> Any:
    """Show the next challenge's page, or start the session when signed in."""
    container = container_of()
    if isinstance(step, Challenge):
        kept = Pending(step, pending.email, pending.next_path)
        session["staff_challenge"] = container.pending_challenges.keep(kept, challenge_id)
        return redirect(url_for(_STEPS[step.name]), 303)
    try:
        member = container.token_verifier.verify(step.id_token)
    except InvalidTokenError:
        abort(401, "Sign-in could not be verified. Please try again.")
    # Where to go next was checked when sign-in began; nothing unchecked reaches the header.
    target = safe_next(pending.next_path) or url_for("staff.dashboard")
    if challenge_id:
        container.pending_challenges.drop(challenge_id)
    session.pop("staff_challenge", None)
    session_id = container.staff_sessions.start(member, step.refresh_token)
    container.audit_log.record(member, "signed in")
    response = redirect(target, 303)
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
        container = container_of()
        email = form.email.data.strip()
        if not container.sign_in_limits.check(email, _client()).allowed:
            error = _LOCKED
        else:
            pending = Pending(
                Challenge("", "", email), email, safe_next(request.args.get("next", ""))
            )
            try:
                return _advance(
                    container.staff_sign_in.password(email, form.password.data), pending
                )
            except SignInError as exc:
                container.audit_log.record("", "sign-in refused", container.audit_log.typed(email))
                _refused(email)
                error = str(exc)
    status = 400 if request.method == "POST" else 200
    return render_template("staff/sign_in.html", form=form, error=error), status


def _step(name: str, answer: Callable[[Challenge], Challenge | Tokens]) -> tuple[Any, str]:
    """Run one challenge step (limits counted as at the password); (response, error)."""
    challenge_id, pending = _pending(name)
    container = container_of()
    if not container.sign_in_limits.check(pending.email, _client()).allowed:
        container.pending_challenges.drop(challenge_id)
        return None, _LOCKED
    try:
        return _advance(answer(pending.challenge), pending, challenge_id), ""
    except SignInError as exc:
        _refused(pending.email)
        return None, str(exc)


@bp.route("/sign-in/new-password", methods=["GET", "POST"])
def new_password() -> Any:
    """Choose a password (first sign-in of an account an admin created)."""
    _pending(NEW_PASSWORD)
    form, error = NewPasswordForm(), ""
    if form.validate_on_submit():
        sign_in = container_of().staff_sign_in
        done, error = _step(NEW_PASSWORD, lambda c: sign_in.new_password(c, form.password.data))
        if done is not None:
            return done
    status = 400 if request.method == "POST" else 200
    return render_template("staff/new_password.html", form=form, error=error), status


@bp.route("/sign-in/authenticator", methods=["GET", "POST"])
def authenticator() -> Any:
    """Set up an authenticator app: a QR code drawn here, then its first code."""
    challenge_id, pending = _pending(MFA_SETUP)
    form, error = CodeForm(), ""
    container = container_of()
    sign_in = container.staff_sign_in
    if not pending.challenge.secret:
        pending = Pending(
            sign_in.start_mfa_setup(pending.challenge), pending.email, pending.next_path
        )
        container.pending_challenges.keep(pending, challenge_id)
    if form.validate_on_submit():
        done, error = _step(MFA_SETUP, lambda c: sign_in.finish_mfa_setup(c, form.code.data))
        if done is not None:
            return done
    secret = pending.challenge.secret
    uri = f"otpauth://totp/Awareness%20mailer:{pending.email}?secret={secret}&issuer=Awareness%20mailer"
    qr = Markup(segno.make(uri, error="m").svg_inline(scale=4, title="QR code for your app"))  # noqa: S704
    status = 400 if request.method == "POST" else 200
    return render_template(
        "staff/authenticator.html", form=form, error=error, qr=qr, secret=secret
    ), status


@bp.route("/sign-in/code", methods=["GET", "POST"])
def code() -> Any:
    """The authenticator app's current code."""
    _pending(MFA_CODE)
    form, error = CodeForm(), ""
    if form.validate_on_submit():
        sign_in = container_of().staff_sign_in
        done, error = _step(MFA_CODE, lambda c: sign_in.mfa_code(c, form.code.data))
        if done is not None:
            return done
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
    # An image, never a page another site may frame (frame-ancestors; X-Frame-Options follows).
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/audit")
@staff_required()
def audit() -> Any:
    """Staff actions, newest first, a page at a time, filtered by member, action and days."""
    args, problems = request.args, []
    days: dict[str, dt.date | None] = {}
    for name in ("since", "until"):
        try:
            days[name] = dt.date.fromisoformat(args[name]) if args.get(name) else None
        except ValueError:
            days[name] = None
            problems.append(f"'{name}' must be a date like 2026-12-01: it was left out.")
    where = AuditFilter(
        member=args.get("member", "").strip()[:254],
        action=args.get("action", "").strip()[:100],
        since=days["since"],
        until=days["until"],
    )
    found = container_of().audit_log.page(where, cursor=args.get("cursor", "")[:200])
    later = {k: v for k, v in args.items() if k != "cursor"}
    return page(
        "staff/audit.html",
        entries=found.entries,
        where=where,
        problems=problems,
        next_url=url_for("staff.audit", **later, cursor=found.next_cursor)
        if found.next_cursor
        else "",
    )


@bp.get("/members")
@staff_required(admin=True)
def members() -> Any:
    """The user pool's members, each with a button that ends their sessions everywhere."""
    return page(
        "staff/members.html", members=container_of().staff_members.list(), button=ButtonForm()
    )


@bp.post("/members/<subject>/end-sessions")
@staff_required(admin=True)
def end_sessions(subject: str) -> Any:
    """Sign a member out everywhere: their console sessions end now, their tokens at Cognito."""
    if not ButtonForm().validate_on_submit():
        abort(400, "Please use the buttons on the members page.")
    try:
        ended = container_of().staff_members.end_sessions(subject, g.staff)
    except NoSuchMemberError as exc:
        abort(404, str(exc))
    flash(f"Signed out everywhere: {ended} console session(s) ended.")
    return redirect(url_for("staff.members"), 303)
