"""Public pages: browse the catalogue by audience and topic, and one page per resource."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request

from mailer.catalogue.views import resource_view

from .extensions import container_of

bp = Blueprint("public", __name__)


@bp.get("/")
def catalogue():
    """The catalogue, newest first, filtered by ?audience= and ?topic= (unknown values ignored)."""
    container = container_of()
    vocabulary = container.vocabulary
    audience = request.args.get("audience", "")
    topic = request.args.get("topic", "")
    audience = audience if audience in vocabulary.audiences else ""
    topic = topic if topic in vocabulary.topics else ""
    resources = sorted(
        container.catalogue_store.resources(vocabulary),
        key=lambda r: r.newest_first_key(),
        reverse=True,
    )
    shown = [
        r
        for r in resources
        if (not audience or audience in r.audiences) and (not topic or topic in r.topics)
    ]
    site_url = container.settings.site_url
    return render_template(
        "catalogue.html",
        resources=[
            resource_view(r, vocabulary, site_url) | {"audiences": r.audiences} for r in shown
        ],
        total=len(resources),
        vocabulary=vocabulary,
        audience=audience,
        topic=topic,
    )


@bp.get("/resources/<resource_id>")
def resource(resource_id: str):
    """One resource's page: where emails link when the resource has no address of its own."""
    container = container_of()
    vocabulary = container.vocabulary
    found = [r for r in container.catalogue_store.resources(vocabulary) if r.id == resource_id]
    if not found:
        abort(404, "We could not find that resource. It may have been withdrawn.")
    site_url = container.settings.site_url
    return render_template(
        "resource.html",
        resource=resource_view(found[0], vocabulary, site_url),
        url=found[0].url,
        audiences=found[0].audiences,
        vocabulary=vocabulary,
    )
