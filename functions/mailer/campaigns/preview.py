"""Previews: what a campaign will send a group, built by the sender's own composer for a stand-in
reader, with links that lead nowhere. The CLI's and the staff console's previews both use this."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from mailer.catalogue.schema import Resource
from mailer.emails.render import RenderedEmail
from mailer.subscribers.links import Links
from mailer.subscribers.model import Status, Subscriber

from .composer import Composer
from .model import Campaign

PREVIEW_KEY = "0" * 64  # no subscriber has this key: it is no address's HMAC


class PreviewLinks(Links):
    """Links that show where a real one would go, and cannot change anything."""

    def __init__(self, site_url: str) -> None:
        self._site = site_url.rstrip("/")

    def confirm(self, subscriber: Subscriber) -> str:
        """A placeholder confirm link."""
        return f"{self._site}/confirm/PREVIEW"

    def manage(self, subscriber: Subscriber) -> str:
        """A placeholder preferences link."""
        return f"{self._site}/preferences/PREVIEW"

    def unsubscribe(self, subscriber: Subscriber) -> str:
        """A placeholder unsubscribe link."""
        return f"{self._site}/unsubscribe/PREVIEW"


def reader(
    audience: str, topics: Sequence[str] = (), name: str = "", email: str = ""
) -> Subscriber:
    """A stand-in subscriber of a group, to render what that group gets."""
    return Subscriber(
        key=PREVIEW_KEY,
        email=email or "preview@example.org",
        audience=audience,
        topics=tuple(topics),
        name=name,
        status=Status.CONFIRMED,
    )


@dataclass(frozen=True)
class Preview:
    """One group's email: as rendered, as raw MIME, and the resources it shows."""

    email: RenderedEmail
    raw: bytes
    resource_ids: tuple[str, ...]


def preview(
    composer: Composer,
    campaign: Campaign,
    resources: Sequence[Resource],
    member: Subscriber,
    site_url: str,
    *,
    test: bool = False,
) -> Preview | None:
    """The email `member`'s group would get; None when that group gets none. A `test` is
    marked "[Test]" in its subject and by a banner (its links change nothing either way)."""
    variant = composer.variants(campaign, resources).for_group(member.audience, member.topics)
    if variant is None:
        return None
    if test:
        variant = replace(
            variant, context={**variant.context, "test": True}, key=(variant.key, "test")
        )
    email, raw = composer.compose(member, variant, PreviewLinks(site_url))
    return Preview(email, raw, variant.resource_ids)
