"""The public archive's addresses and entries: every campaign a group was sent, as a page at a
stable URL that the email itself links to ("View this email in your browser").

The URL is computed from the campaign id and the group alone, so an email can carry it before
any page exists: /archive/<group>/<slug>, the slug being the campaign's id with "#" as "-"
(its SES tag): /archive/schools/digest-2026-12, /archive/faith-groups/announcement-safe-homes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

SLUG_MAX = 120
# What campaign_id() makes, with "#" as "-": a digest's month or an announcement's resource (and
# draft). Anything else is never looked up.
_SLUG = re.compile(r"^(digest-\d{4}-(0[1-9]|1[0-2])|announcement-[a-z0-9]+(-[a-z0-9]+)*)$")


def archive_slug(campaign_id: str) -> str:
    """The campaign's part of its archive address: 'digest#2026-12' -> 'digest-2026-12'."""
    return campaign_id.replace("#", "-")


def is_archive_slug(text: str) -> bool:
    """True for a slug archive_slug() could have made (the only ones worth a look-up)."""
    return len(text) <= SLUG_MAX and _SLUG.match(text) is not None


def archive_path(audience: str, campaign_id: str) -> str:
    """The archive page's path for one group's email of a campaign."""
    return f"/archive/{audience}/{archive_slug(campaign_id)}"


def archive_url(site_url: str, audience: str, campaign_id: str) -> str:
    """The archive page's absolute address, as the email's "view in your browser" link."""
    return site_url.rstrip("/") + archive_path(audience, campaign_id)


@dataclass(frozen=True)
class ArchiveEntry:
    """One group's email of one campaign, as the archive keeps it: what the email said (the
    variant's content, worked out from the campaign's snapshot when it started sending, with
    no recipient in it), when it started, and whether staff hid it."""

    audience: str
    slug: str
    campaign_id: str
    kind: str  # "digest" or "announcement"
    name: str  # 'December 2026 digest', 'Announcement: <title>'
    started_at: str
    template: str  # the email it was: "digest" or "announcement"
    context: Mapping[str, Any]
    hidden: bool = False

    @property
    def path(self) -> str:
        """Where the page is."""
        return f"/archive/{self.audience}/{self.slug}"

    @property
    def summary(self) -> str:
        """One line on what it holds, for the index and the feed."""
        if self.template == "announcement":
            resource = self.context.get("resource") or {}
            return str(resource.get("summary", ""))
        titles = [str(r.get("title", "")) for r in self.context.get("resources") or ()]
        return "; ".join(titles) if titles else str(self.context.get("intro", ""))

    def to_item(self, pk: str) -> dict[str, Any]:
        """The archive item (the content as JSON text: DynamoDB refuses empty strings in
        nested maps less predictably than it stores one string)."""
        return {
            "pk": pk,
            "sk": self.slug,
            "campaign_id": self.campaign_id,
            "kind": self.kind,
            "name": self.name,
            "started_at": self.started_at,
            "template": self.template,
            "context": json.dumps(self.context, ensure_ascii=False, sort_keys=True, default=str),
            "hidden": self.hidden,
        }

    @classmethod
    def from_item(cls, audience: str, item: Mapping[str, Any]) -> ArchiveEntry:
        """Rebuild from the archive item."""
        return cls(
            audience=audience,
            slug=str(item["sk"]),
            campaign_id=str(item.get("campaign_id", "")),
            kind=str(item.get("kind", "")),
            name=str(item.get("name", "")),
            started_at=str(item.get("started_at", "")),
            template=str(item.get("template", "")),
            context=json.loads(str(item.get("context") or "{}")),
            hidden=bool(item.get("hidden", False)),
        )
