"""The Flask app: the public pages (catalogue, subscription) and the staff console.

On AWS they are two apps in two functions with two roles (handlers/web.py serves the public
pages, handlers/staff.py the console; the HTTP API routes /staff to the second), so a bug in a
public page cannot reach what only the console may touch. The local stack and most tests serve
both from one app built by the same factory.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from flask import Flask, current_app, render_template, request, url_for
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from mailer.campaigns.send_time import london_words
from mailer.compiled import ProcessBytecodeCache
from mailer.container import Container, current
from mailer.errors import MailerError

from . import words
from .extensions import csrf

# What the dev outbox lists: the local stack passes in a reader of its fake SES.
OutboxReader = Callable[[], Sequence[Any]]


# Every app's pages, compiled once a process: create_app configures each environment alike.
_PAGES = ProcessBytecodeCache()

PUBLIC = "public"  # the catalogue and subscription pages (the web function)
STAFF = "staff"  # the staff console under /staff (the staff function)


def create_app(
    container: Container | None = None,
    outbox: OutboxReader | None = None,
    parts: tuple[str, ...] = (PUBLIC, STAFF),
) -> Flask:
    """App factory: pass a Container in tests (else the process's own); `parts` says which
    pages it serves (both by default; each Lambda function serves one); the local stack also
    passes `outbox`, which adds the dev outbox pages."""
    container = container or current()
    settings = container.settings
    app = _App(__name__)
    app.config.update(
        # Not read here: _App.secret_key reads it from the container (SSM on AWS) when a page
        # first signs or reads something, which the catalogue, the usual first page, never does.
        SECRET_KEY=None,
        SESSION_COOKIE_SECURE=settings.site_url.startswith("https://"),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        MAX_CONTENT_LENGTH=64 * 1024,  # forms are small; refuse anything bigger early
        WTF_CSRF_TIME_LIMIT=3600,
        # Token pages send Referrer-Policy: no-referrer (the token must not leak), so browsers
        # post their forms with no Referer; Flask-WTF's https Referer check would refuse them
        # all. The session-bound token and the SameSite=Lax cookie are the CSRF defence.
        WTF_CSRF_SSL_STRICT=False,
        ORGANISATION_NAME=settings.organisation_name,
        # Links built by url_for(_external=True), and Flask's test client, use the site's scheme.
        PREFERRED_URL_SCHEME="https" if settings.site_url.startswith("https://") else "http",
        SUBSCRIBE_MIN_FILL_SECONDS=2,  # people take longer than this; form-filling bots do not
        SUBSCRIBE_MIN_RESPONSE_SECONDS=0.8,  # longer than any path's work, sending included
        # The embeddable form may be framed by this site and the sites EMBED_ALLOWED_ORIGINS
        # names (none by default: a deploy names the charity's own site).
        EMBED_CSP=_CSP.replace(
            "frame-ancestors 'none'",
            " ".join(["frame-ancestors 'self'", *settings.embed_origins.split()]),
        ),
    )
    app.extensions["mailer"] = container
    app.jinja_env.bytecode_cache = _PAGES
    app.jinja_env.filters.update(
        when=words.when, day=words.day, people=words.people, london=london_words
    )
    app.jinja_env.globals["public_url"] = _public_url
    csrf.init_app(app)

    from .token_pages import LinkProblem, link_problem_page

    for part in parts:
        for blueprint in _blueprints(part):
            app.register_blueprint(blueprint)
    app.register_error_handler(LinkProblem, link_problem_page)
    app.register_error_handler(CSRFError, _csrf_error)
    if PUBLIC in parts and outbox is not None and settings.local_stack:
        _add_dev_outbox(app, outbox, settings.aws_endpoint_url)

    app.after_request(_security_headers)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(MailerError, _mailer_error)
    return app


def _add_dev_outbox(app: Flask, outbox: OutboxReader, endpoint_url: str) -> None:
    """The local stack's outbox pages, when its fake AWS is on this machine."""
    from . import dev_outbox

    if dev_outbox.is_loopback_url(endpoint_url):
        app.extensions["outbox"] = outbox
        app.register_blueprint(dev_outbox.bp)


def _blueprints(part: str) -> tuple[Any, ...]:
    """One part's blueprints, imported only when an app serves that part: the web function
    never loads the console's modules, nor the staff function the public pages'."""
    if part == PUBLIC:
        from . import archive, confirm, feeds, preferences, public, subscribe, unsubscribe

        return (
            public.bp,
            subscribe.bp,
            confirm.bp,
            preferences.bp,
            unsubscribe.bp,
            # The public archive of sent campaigns and the feeds (issue 17, items 6 and 7).
            archive.bp,
            feeds.bp,
        )
    from . import (
        staff,
        staff_archive,
        staff_campaigns,
        staff_days,
        staff_digests,
        staff_drafts,
        staff_export,
        staff_imports,
        staff_people,
        staff_resources,
        staff_schedules,
        staff_suppressions,
    )

    return (
        staff.bp,
        staff_resources.bp,
        staff_days.bp,  # awareness days (issue 17, item 2)
        staff_campaigns.bp,
        staff_archive.bp,
        staff_drafts.bp,
        staff_digests.bp,
        staff_schedules.bp,  # scheduled sends (issue 17, item 4)
        # Data protection (issue 18): find a person, suppressions, list imports and exports.
        staff_people.bp,
        staff_suppressions.bp,
        staff_imports.bp,
        staff_export.bp,
    )


class _LazyKeySessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, but a request without a session cookie gets its empty
    session without the signing key: only a session that is read or written needs the key."""

    def open_session(self, app: Flask, request: Any) -> SecureCookieSession | None:
        """An empty session when there is no cookie to verify, else Flask's own."""
        if not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()  # what Flask returns here too, once it has the key
        return super().open_session(app, request)


class _App(Flask):
    """Flask, whose exception log names the route, not the path (paths carry tokens), and whose
    signing key comes from the container on first use, not when the app is built."""

    session_interface = _LazyKeySessions()

    @property  # type: ignore[override]
    def secret_key(self) -> str | bytes | None:
        """SECRET_KEY if set (a test may set it), else the container's key, fetched once: the
        SSM client and call cost a tenth of a second of a cold start."""
        if self.config["SECRET_KEY"] is None:
            self.config["SECRET_KEY"] = self.extensions["mailer"].clients.secret_key
        return self.config["SECRET_KEY"]

    @secret_key.setter
    def secret_key(self, value: str | bytes | None) -> None:
        self.config["SECRET_KEY"] = value

    def log_exception(self, exc_info: Any) -> None:
        """Log an unhandled exception without the token in its path."""
        self.logger.error(
            "Exception on %s [%s]", redacted_path(request.path), request.method, exc_info=exc_info
        )


def redacted_path(path: str) -> str:
    """A path fit for logs: a token after /confirm/, /preferences/, /unsubscribe/ elided."""
    for prefix in _TOKEN_PATHS:
        if path.startswith(prefix):
            rest = path.removeprefix(prefix)
            tail = rest.partition("/")[2]
            return f"{prefix}<token>" + (f"/{tail}" if tail else "")
    return path


_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)
# Pages whose URL holds a signed token: never cached, never leaked in a Referer header.
_TOKEN_PATHS = ("/confirm/", "/preferences/", "/unsubscribe/")


# The public pages every page links to (the header, the error page). The staff function's app
# has none of their routes, but the HTTP API sends these paths to the web function on the same
# site, so from there they are linked as paths.
_PUBLIC_PATHS = {"public.catalogue": "/", "subscribe.subscribe_page": "/subscribe"}


def _public_url(endpoint: str) -> str:
    """A public page's address from either app: url_for where it is a route, else its path."""
    if endpoint in current_app.view_functions:
        return url_for(endpoint)
    return _PUBLIC_PATHS[endpoint]


def _security_headers(response: Any) -> Any:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", _CSP)
    if "frame-ancestors 'none'" in headers["Content-Security-Policy"]:
        headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "no-referrer")
    headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if request.path.startswith(_TOKEN_PATHS) or _is_staff(request.path):
        # Token pages and every staff page (the authenticator's seed, subscriber counts, the
        # audit log) must not be kept by a browser or a shared cache.
        headers["Cache-Control"] = "no-store"
    return response


def _is_staff(path: str) -> bool:
    return path == "/staff" or path.startswith("/staff/")


def create_public_app(container: Container | None = None) -> Flask:
    """The public pages only: what the web function serves."""
    return create_app(container, parts=(PUBLIC,))


def create_staff_app(container: Container | None = None) -> Flask:
    """The staff console only: what the staff function serves."""
    return create_app(container, parts=(STAFF,))


def _csrf_error(error: CSRFError) -> Any:
    return render_template(
        "error.html",
        title="Please try that again",
        message="The page had been open too long, or your browser blocked our cookie. "
        "Go back, reload the page, and press the button again.",
    ), 400


def _http_error(error: HTTPException) -> Any:
    return render_template("error.html", title=error.name, message=error.description), error.code


def _mailer_error(error: MailerError) -> Any:
    # Domain errors are expected failures (AWS unavailable, bad data): say so, without a trace.
    return render_template(
        "error.html",
        title="Something went wrong",
        message="We could not complete that just now. Please try again in a few minutes.",
    ), 503
