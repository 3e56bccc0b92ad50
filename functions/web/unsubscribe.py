"""One-click unsubscribe (RFC 8058): the signed token in the URL is the authority."""

from __future__ import annotations

from flask import Blueprint, render_template

from mailer.subscribers.tokens import Purpose

from .extensions import container_of, csrf
from .token_pages import link_id_from

bp = Blueprint("unsubscribe", __name__)


@bp.get("/unsubscribe/<token>")
def unsubscribe_page(token: str):
    """A page with an unsubscribe button; fetching it (as mail scanners do) changes nothing."""
    link_id_from(Purpose.UNSUBSCRIBE, token)
    return render_template("unsubscribe.html", token=token)


@bp.post("/unsubscribe/<token>")
@csrf.exempt  # mail clients POST "List-Unsubscribe=One-Click" with no cookies and no form token
def unsubscribe(token: str):
    """Unsubscribe at once and answer 200; repeating it is harmless."""
    link_id = link_id_from(Purpose.UNSUBSCRIBE, token)
    container = container_of()
    container.subscriptions.unsubscribe(link_id)
    # No manage link here: mail providers post this URL for people, and a manage link would
    # turn an unsubscribe token into one that can export or erase their data.
    return render_template("unsubscribed.html", manage_url=None)
