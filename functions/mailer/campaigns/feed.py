"""A group's Atom feed: resources new for it and the emails it was sent (archive.py), newest
first, written by feedgenerator (Pelican's standalone Django feed writer), never by hand."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import feedgenerator

from mailer.catalogue.schema import Resource, Vocabulary

from .archive import ArchiveEntry

FEED_ITEMS = 30  # entries a feed carries: readers keep what they have already seen


@dataclass(frozen=True)
class FeedSite:
    """Who publishes the feeds, and where."""

    site_url: str
    organisation: str


def feed_path(audience: str) -> str:
    """Where a group's feed is."""
    return f"/feeds/{audience}.atom"


def group_feed(
    site: FeedSite,
    audience: str,
    vocabulary: Vocabulary,
    resources: Sequence[Resource],
    entries: Sequence[ArchiveEntry],
) -> bytes:
    """The group's feed as UTF-8 Atom: its resources by the day they joined the catalogue
    and its archived emails by the day they started, FEED_ITEMS at most."""
    base = site.site_url.rstrip("/")
    label = vocabulary.audiences[audience]
    items = [_resource_item(base, r, vocabulary) for r in resources if audience in r.audiences]
    items += [_email_item(base, e) for e in entries if e.audience == audience and not e.hidden]
    items.sort(key=lambda item: (item["updateddate"], item["unique_id"]), reverse=True)
    items = items[:FEED_ITEMS]
    feed = feedgenerator.Atom1Feed(
        title=f"{site.organisation}: free resources on modern slavery for {label.lower()}",
        link=f"{base}/archive/{audience}/",
        description=f"New resources and the emails we send to {label.lower()}.",
        language="en-GB",
        author_name=site.organisation,
        feed_url=base + feed_path(audience),
        feed_guid=base + feed_path(audience),
    )
    for item in items:
        feed.add_item(**item)
    return feed.writeString("utf-8").encode("utf-8")


def _resource_item(base: str, resource: Resource, vocabulary: Vocabulary) -> dict[str, object]:
    added = dt.datetime.combine(resource.added, dt.time(), dt.UTC)
    return {
        "title": f"New {vocabulary.types[resource.type].lower()}: {resource.title}",
        "link": resource.url or f"{base}/resources/{resource.id}",
        "description": resource.summary,
        "unique_id": f"{base}/resources/{resource.id}",
        "pubdate": added,
        "updateddate": added,
    }


def _email_item(base: str, entry: ArchiveEntry) -> dict[str, object]:
    started = _moment(entry.started_at)
    return {
        "title": entry.name,
        "link": base + entry.path,
        "description": entry.summary or entry.name,
        "unique_id": base + entry.path,
        "pubdate": started,
        "updateddate": started,
    }


def _moment(stored: str) -> dt.datetime:
    """A stored ISO time (UTC when it names no zone; the epoch when unreadable)."""
    try:
        moment = dt.datetime.fromisoformat(stored)
    except ValueError:
        return dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
