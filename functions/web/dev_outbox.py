"""The dev outbox: every email the local stack "sent", readable in the browser. Local only."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, Response, abort, current_app, jsonify, render_template, request

bp = Blueprint("dev_outbox", __name__, url_prefix="/dev")

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


def is_loopback_url(url: str) -> bool:
    """True for an http(s) URL whose host is this machine (the local stack's fake AWS)."""
    return (urlsplit(url).hostname or "") in LOOPBACK_HOSTS


@bp.before_request
def _loopback_only():
    # Every email's links are in here: a stack reached by any name but this machine's own
    # (a tunnel, a LAN address, a deployed stack with LOCAL_STACK set by mistake) shows nothing.
    if (urlsplit(f"//{request.host}").hostname or "") not in LOOPBACK_HOSTS:
        abort(404)


def _messages():
    return current_app.extensions["outbox"]()


@bp.get("/outbox")
def outbox():
    """List of sent messages, newest first."""
    return render_template("outbox.html", messages=_messages())


@bp.get("/outbox.json")
def outbox_json():
    """Every sent message with its raw MIME, for scripts and browser tests."""
    return jsonify([m.to_json() for m in _messages()])


@bp.get("/outbox/<message_id>.html")
def outbox_html(message_id: str):
    """One message's HTML part, as a mail client would show it."""
    for message in _messages():
        if message.id == message_id:
            response = Response(message.html, mimetype="text/html")
            # The email's own inline styles must apply; it links nowhere it could harm.
            response.headers["Content-Security-Policy"] = (
                "default-src 'none'; img-src 'self' https: data:; style-src 'unsafe-inline'; "
                "frame-ancestors 'self'"
            )
            response.headers["X-Frame-Options"] = "SAMEORIGIN"
            return response
    abort(404, "No such message in the outbox.")
