"""The Atom feeds, one per group: new resources and archived emails (campaigns/feed.py)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort

from .extensions import container_of

bp = Blueprint("feeds", __name__, url_prefix="/feeds")


@bp.get("/<audience>.atom")
def group(audience: str) -> Any:
    """A group's feed; 404 for anything that is not one of our groups."""
    # Imported here: the feed writer (feedgenerator, xml.sax) is not for a cold start's catalogue.
    from mailer.campaigns.feed import FeedSite, group_feed

    container = container_of()
    vocabulary = container.vocabulary
    if audience not in vocabulary.audiences:
        abort(404, "There is a feed for schools, faith groups and individuals: choose one.")
    settings = container.settings
    body = group_feed(
        FeedSite(settings.site_url, settings.organisation_name),
        audience,
        vocabulary,
        container.resources(),
        container.archive.entries(audience),
    )
    response = Response(body, mimetype="application/atom+xml")
    response.headers["Cache-Control"] = "public, max-age=900"  # readers poll; this is cheap
    return response
