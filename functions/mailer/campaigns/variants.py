"""What one campaign says to each group of subscribers (same audience, same topics), or that it
has nothing for them. Worked out once per group, so the renderer compiles once per group too."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from threading import Lock
from typing import Any

from mailer.catalogue.schema import Resource, Vocabulary
from mailer.emails.views import announcement_context, digest_context

from .model import Campaign, Kind
from .selection import Pick, select_resources


@dataclass(frozen=True)
class Variant:
    """The email for one group: template, content, renderer cache key, resources it shows."""

    template: str
    context: dict[str, Any]
    key: Hashable
    resource_ids: tuple[str, ...]


class CampaignContent:
    """Chooses each group's content for one campaign from a snapshot of the catalogue."""

    def __init__(
        self,
        campaign: Campaign,
        resources: Sequence[Resource],
        vocabulary: Vocabulary,
        site_url: str,
        *,
        send_empty: bool = False,
    ) -> None:
        self.campaign = campaign
        self._resources = tuple(resources)
        self._vocabulary = vocabulary
        self._site_url = site_url
        self._send_empty = send_empty
        self._cache: dict[tuple[str, tuple[str, ...]], Variant | None] = {}
        self._lock = Lock()

    def picks(self, audience: str, topics: Iterable[str] = ()) -> list[Pick]:
        """A digest's resources for a group, best first (empty for announcements)."""
        campaign = self.campaign
        if campaign.kind is not Kind.DIGEST or campaign.period is None:
            return []
        return select_resources(
            self._resources,
            audience,
            list(topics),
            campaign.period,
            campaign.new_since,
            campaign.already_new,
        )

    def for_group(self, audience: str, topics: Iterable[str] = ()) -> Variant | None:
        """The email for subscribers with this audience and topics; None: nothing for them."""
        group = (audience, tuple(sorted(set(topics))))
        with self._lock:
            if group in self._cache:
                return self._cache[group]
        variant = self._build(*group)
        with self._lock:
            self._cache[group] = variant
        return variant

    def _build(self, audience: str, topics: tuple[str, ...]) -> Variant | None:
        campaign = self.campaign
        if audience not in campaign.audiences or audience not in self._vocabulary.audiences:
            return None
        key = (campaign.id, audience, topics)
        if campaign.kind is Kind.ANNOUNCEMENT:
            resource = next((r for r in self._resources if r.id == campaign.resource_id), None)
            if (
                resource is None
                or audience not in resource.audiences
                or (topics and not set(topics) & set(resource.topics))
            ):
                return None
            context = announcement_context(
                self._vocabulary, self._site_url, audience, topics, resource, campaign.message
            )
            return Variant("announcement", context, key, (resource.id,))
        assert campaign.period is not None  # a digest always has one (Campaign.digest)
        picks = self.picks(audience, topics)
        if not picks and not self._send_empty:
            return None
        context = digest_context(
            self._vocabulary, self._site_url, audience, topics, campaign.period, picks
        )
        return Variant("digest", context, key, tuple(p.resource.id for p in picks))
