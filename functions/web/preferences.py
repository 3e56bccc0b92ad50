"""The preferences page: change group, topics, what they get and name; download, erase, or
unsubscribe."""

from __future__ import annotations

import json

from flask import Blueprint, Response, flash, redirect, render_template, url_for

from mailer.subscribers.model import Status
from mailer.subscribers.tokens import Purpose

from .extensions import container_of
from .forms import ActionForm, EraseForm, PreferencesForm
from .token_pages import link_id_from

bp = Blueprint("preferences", __name__, url_prefix="/preferences")


def _page(
    token: str,
    form: PreferencesForm | None = None,
    erase_form: EraseForm | None = None,
    status: int = 200,
):
    container = container_of()
    link_id = link_id_from(Purpose.MANAGE, token)
    subscriber = container.subscriptions.subscriber(link_id)
    if subscriber is None or subscriber.status is Status.ERASED:
        return render_template("preferences_gone.html"), 404
    if form is None:
        form = PreferencesForm(container.vocabulary)
        form.audience.data = subscriber.audience
        form.topics.data = list(subscriber.topics or container.vocabulary.topics)
        form.name.data = subscriber.name
        form.organisation.data = subscriber.organisation
        form.mailings.data = subscriber.choice.value
    return render_template(
        "preferences.html",
        token=token,
        subscriber=subscriber,
        form=form,
        erase_form=erase_form or EraseForm(),
        action_form=ActionForm(),
        confirmed=subscriber.status is Status.CONFIRMED,
    ), status


@bp.get("/<token>")
def show(token: str):
    """The page, pre-filled with the subscriber's current choices."""
    return _page(token)


@bp.post("/<token>")
def save(token: str):
    """Save group, topics and name."""
    container = container_of()
    link_id = link_id_from(Purpose.MANAGE, token)
    form = PreferencesForm(container.vocabulary)
    if not form.validate():
        return _page(token, form=form, status=400)
    updated = container.subscriptions.update_preferences(
        link_id,
        form.audience.data,
        form.topics.data or [],
        " ".join((form.name.data or "").split()),
        " ".join((form.organisation.data or "").split()),
        form.mailings.data,
    )
    if updated is None:
        return _page(token, status=409)
    flash("Your preferences are saved.")
    return redirect(url_for("preferences.show", token=token), 303)


@bp.post("/<token>/export")
def export(token: str):
    """Download everything we hold about the subscriber, as JSON."""
    link_id = link_id_from(Purpose.MANAGE, token)
    if not ActionForm().validate():
        return _page(token, status=400)
    record = container_of().subscriptions.export(link_id)
    if record is None:
        return render_template("preferences_gone.html"), 404
    return Response(
        json.dumps(record, indent=2, ensure_ascii=False),
        mimetype="application/json",
        headers={"Content-Disposition": 'attachment; filename="my-subscription-data.json"'},
    )


@bp.post("/<token>/erase")
def erase(token: str):
    """Erase the subscriber's data, keeping only a one-way hash so we never write again."""
    link_id = link_id_from(Purpose.MANAGE, token)
    form = EraseForm()
    if not form.validate():
        return _page(token, erase_form=form, status=400)
    container_of().subscriptions.erase(link_id)
    return render_template("erased.html")


@bp.post("/<token>/unsubscribe")
def unsubscribe(token: str):
    """Unsubscribe from the preferences page."""
    link_id = link_id_from(Purpose.MANAGE, token)
    if not ActionForm().validate():
        return _page(token, status=400)
    container = container_of()
    now = container.subscriptions.unsubscribe(link_id)
    # The link id rotated: the page's own link is dead now, so offer the new one.
    manage_url = container.links.manage(now) if now is not None else None
    return render_template("unsubscribed.html", manage_url=manage_url)
