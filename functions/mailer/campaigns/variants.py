"""What one campaign says to each group of subscribers (same audience, same topics), or that it
has nothing for them. Worked out once per group; the renderer's cache is keyed by the email's
content itself, so groups, campaigns or processes whose emails come out the same share one
compile, and no two different emails can ever share one."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from threading import Lock
from typing import Any

from mailer.catalogue.schema import Resource, Vocabulary
from mailer.catalogue.views import resource_view
from mailer.emails.notes import render_note
from mailer.emails.views import reason_line

from .archive import archive_url
from .model import Campaign, Kind, Period
from .selection import Pick, select_resources

NOTHING_NEW_INTRO = (
    "Nothing new this month on your topics. We will write again when there is; meanwhile "
    "every free resource is on our website."
)


@dataclass(frozen=True)
class Variant:
    """The email for one group: template, content, renderer cache key (what the email says),
    resources it shows."""

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
        # An approved campaign shows only what it froze; `resources` (the live catalogue) is
        # for records written before snapshots existed.
        snapshot = campaign.snapshot
        self._resources = tuple(resources if snapshot is None else snapshot.resources)
        self._subjects = {} if snapshot is None else dict(snapshot.subjects)
        self._features = {} if snapshot is None else dict(snapshot.features)
        self._left_out = {} if snapshot is None else dict(snapshot.left_out)
        self._snapshot = snapshot
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
            featured=self._features.get(audience, ()) if self._features else None,
            left_out=self._left_out.get(audience, ()),
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
        if campaign.kind is Kind.ANNOUNCEMENT:
            resource = next((r for r in self._resources if r.id == campaign.resource_id), None)
            if (
                resource is None
                or audience not in resource.audiences
                or (topics and not set(topics) & set(resource.topics))
            ):
                return None
            context = announcement_context(
                self._vocabulary,
                self._site_url,
                audience,
                topics,
                resource,
                campaign.message,
                subject=self._subjects.get(audience, ""),
            )
            context.update(self._note(audience))
            context["archive_url"] = archive_url(self._site_url, audience, campaign.id)
            return Variant("announcement", context, content_key(context), (resource.id,))
        assert campaign.period is not None  # a digest always has one (Campaign.digest)
        picks = self.picks(audience, topics)
        if not picks and not self._send_empty:
            return None
        context = digest_context(
            self._vocabulary,
            self._site_url,
            audience,
            topics,
            campaign.period,
            picks,
            subject=self._subjects.get(audience, ""),
        )
        context.update(self._note(audience))
        context["days"] = _days_view(
            self._snapshot.days.get(audience, ()) if self._snapshot else ()
        )
        # "View this email in your browser": the group's page in the public archive.
        context["archive_url"] = archive_url(self._site_url, audience, campaign.id)
        return Variant("digest", context, content_key(context), tuple(p.resource.id for p in picks))

    def _note(self, audience: str) -> dict[str, str]:
        """The group's editorial note for the templates: sanitised HTML and its text twin."""
        note = render_note(self._snapshot.note_for(audience) if self._snapshot else "")
        return {"note_html": note.html, "note_text": note.text}


def _days_view(days: Iterable[Any]) -> list[dict[str, str]]:
    """Awareness days coming up, as the digest shows them: name, 'Sunday 18 October', line."""
    return [
        {
            "name": d["name"],
            "when": dt.date.fromisoformat(d["on"]).strftime("%A %-d %B"),
            "line": d["line"],
        }
        for d in days
    ]


def content_key(context: dict[str, Any]) -> str:
    """A key for what an email says: equal exactly when the content is."""
    text = json.dumps(context, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def digest_context(
    vocabulary: Vocabulary,
    site_url: str,
    audience: str,
    topics: Sequence[str],
    period: Period,
    picks: Sequence[Pick],
    subject: str = "",
) -> dict[str, Any]:
    """Context for digest.mjml/.txt; the same for every subscriber with this audience and topics
    (`subject`: the one staff approved, else the template's own)."""
    new_count = sum(p.is_new for p in picks)
    if new_count:
        intro = (
            f"Here {'is' if new_count == 1 else 'are'} {new_count} free "
            f"resource{'s' if new_count != 1 else ''} on modern slavery, new to our library "
            "this month, "
            f"picked for {vocabulary.audiences[audience].lower()}"
            + (", the closest matches to your topics first." if topics else ", newest first.")
        )
    elif picks:
        intro = (
            "Nothing new this month on your topics, so here are some of our most useful "
            "free resources to share."
        )
    else:  # the short note DIGEST_SEND_EMPTY asks for
        intro = NOTHING_NEW_INTRO
    return {
        "audience": audience,
        "audience_label": vocabulary.audiences[audience],
        "period_label": period.label,
        "intro": intro,
        "reason": reason_line(vocabulary, audience, topics),
        "resources": [resource_view(p.resource, vocabulary, site_url, p.is_new) for p in picks],
        "subject": subject,
        "note_html": "",  # staff's note (CampaignContent._note), when there is one
        "note_text": "",
        "days": [],  # awareness days coming up (CampaignContent), when a draft features any
    }


def announcement_context(
    vocabulary: Vocabulary,
    site_url: str,
    audience: str,
    topics: Sequence[str],
    resource: Resource,
    message: str = "",
    subject: str = "",
) -> dict[str, Any]:
    """Context for announcement.mjml/.txt (`subject`: staff's, else the template's own)."""
    return {
        "subject": subject,
        "audience_label": vocabulary.audiences[audience],
        "message": message,
        "reason": reason_line(vocabulary, audience, topics),
        "resource": resource_view(resource, vocabulary, site_url, is_new=True),
        "note_html": "",  # staff's note (CampaignContent._note), when there is one
        "note_text": "",
    }
