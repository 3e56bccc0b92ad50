"""The dev outbox: every email the local stack "sent", readable in the browser. Local only."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, jsonify, render_template

bp = Blueprint("dev_outbox", __name__, url_prefix="/dev")


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
