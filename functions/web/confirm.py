"""Confirming a subscription: the emailed link shows a page; only its POST confirms."""

from __future__ import annotations

from flask import Blueprint, render_template

from mailer.subscribers.tokens import Purpose

from .extensions import container_of
from .forms import ActionForm
from .token_pages import subscriber_key_from

bp = Blueprint("confirm", __name__)


@bp.get("/confirm/<token>")
def confirm_page(token: str):
    """A page whose button (pressed by script) confirms; fetching it alone changes nothing."""
    subscriber_key_from(Purpose.CONFIRM, token)
    return render_template("confirm.html", form=ActionForm(), token=token)


@bp.post("/confirm/<token>")
def confirm(token: str):
    """Confirm the subscription; pressing twice is harmless."""
    key = subscriber_key_from(Purpose.CONFIRM, token)
    form = ActionForm()
    if not form.validate():
        return render_template("confirm.html", form=form, token=token), 400
    container = container_of()
    subscriber = container.subscriptions.confirm(key)
    if subscriber is None:
        return render_template(
            "link_problem.html",
            title="This link can no longer be used",
            message="The subscription it was for has expired or ended. You are welcome to "
            "subscribe again.",
            subscribe_again=True,
        ), 410
    return render_template(
        "confirmed.html",
        subscriber=subscriber,
        vocabulary=container.vocabulary,
        manage_url=container.links.manage(key),
    )
