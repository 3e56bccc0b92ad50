"""Confirming a subscription: the emailed link shows what it confirms; only a press confirms."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from mailer.subscribers.tokens import Purpose

from .extensions import container_of
from .forms import ActionForm
from .token_pages import link_id_from

bp = Blueprint("confirm", __name__)


def _gone():
    return render_template(
        "link_problem.html",
        title="This link can no longer be used",
        message="The subscription it was for has expired, ended or been replaced by a newer "
        "request (only the latest email's link works). You are welcome to subscribe again.",
        subscribe_again=True,
    ), 410


@bp.get("/confirm/<token>")
def confirm_page(token: str):
    """The group and topics this link would confirm, and a button a person must press (no
    script presses it: scanners that run script must confirm nothing)."""
    container = container_of()
    pending = container.subscriptions.pending(link_id_from(Purpose.CONFIRM, token))
    if pending is None:
        return _gone()
    return render_template(
        "confirm.html",
        form=ActionForm(),
        token=token,
        subscriber=pending,
        vocabulary=container.vocabulary,
    )


@bp.post("/confirm/<token>")
def confirm(token: str):
    """Confirm the subscription once; a later press says so and sends no new link."""
    link_id = link_id_from(Purpose.CONFIRM, token)
    form = ActionForm()
    container = container_of()
    if not form.validate():
        pending = container.subscriptions.pending(link_id)
        if pending is None:
            return _gone()
        return render_template(
            "confirm.html",
            form=form,
            token=token,
            subscriber=pending,
            vocabulary=container.vocabulary,
        ), 400
    done = container.subscriptions.confirm(link_id, request.headers.get("User-Agent", ""))
    if done.subscriber is None:
        return _gone()
    return render_template(
        "confirmed.html",
        subscriber=done.subscriber,
        vocabulary=container.vocabulary,
        already=done.already,
        # Only the press that confirmed gets the manage link: a replayed confirm link must not
        # be a way to mint one.
        manage_url=None if done.already else container.links.manage(done.subscriber),
    )
