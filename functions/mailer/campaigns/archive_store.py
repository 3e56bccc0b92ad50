"""The public archive in the campaigns table: one item per group and campaign (keys.py),
written when the campaign starts sending and read by the public pages and feeds.

Writing is idempotent, since AWS delivers at least once: each item is a conditional put that
only the first start makes, so a second start (or a planner run again after a timeout) changes
nothing, and never undoes a member of staff hiding it. Reading is a GetItem or a Query of one
group's partition: no public page scans the table or reads a campaign's ledger.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from boto3.dynamodb.conditions import Attr, Key

from mailer.aws.table import Table
from mailer.catalogue.schema import Vocabulary
from mailer.errors import ConflictError

from .archive import ArchiveEntry, archive_slug, is_archive_slug
from .keys import archive_pk
from .model import Campaign, now_iso
from .variants import CampaignContent


class ArchiveStore:
    """Archive entries: recorded at a campaign's start, listed per group, hidden by staff."""

    def __init__(
        self,
        table: Table,
        vocabulary: Vocabulary,
        site_url: str,
        *,
        send_empty: bool = False,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """`site_url` and `send_empty` as the sender's, so the archive shows what it sends."""
        self._table = table
        self._vocabulary = vocabulary
        self._site_url = site_url
        self._send_empty = send_empty
        self._clock = clock

    def record(self, campaign: Campaign) -> list[str]:
        """Keep each group's email of a campaign, worked out from its snapshot as every sender
        works it out; return the groups this call added (none the second time). A campaign
        with nothing frozen (records from before snapshots) is not archived."""
        if campaign.snapshot is None:
            return []
        content = CampaignContent(
            campaign, (), self._vocabulary, self._site_url, send_empty=self._send_empty
        )
        started = now_iso(self._clock)
        added = []
        for audience in campaign.audiences:
            variant = content.for_group(audience)  # every topic: what the group as a whole got
            if variant is None:
                continue  # nothing for this group, so no email and no page
            entry = ArchiveEntry(
                audience=audience,
                slug=archive_slug(campaign.id),
                campaign_id=campaign.id,
                kind=campaign.kind.value,
                name=campaign.name,
                started_at=started,
                template=variant.template,
                context=variant.context,
            )
            try:
                self._table.put(
                    entry.to_item(archive_pk(audience)),
                    action="archiving a campaign",
                    condition=Attr("pk").not_exists(),  # an earlier start's stays
                )
            except ConflictError:
                continue
            added.append(audience)
        return added

    def entry(self, audience: str, slug: str) -> ArchiveEntry | None:
        """One group's email of a campaign, hidden or not; None if it was never archived."""
        if audience not in self._vocabulary.audiences or not is_archive_slug(slug):
            return None
        item = self._table.get(
            {"pk": archive_pk(audience), "sk": slug}, action="reading the archive"
        )
        return ArchiveEntry.from_item(audience, item) if item else None

    def entries(self, audience: str, *, hidden: bool = False) -> list[ArchiveEntry]:
        """A group's archived emails, newest first (hidden ones only if asked): one Query of
        its partition, page by page."""
        if audience not in self._vocabulary.audiences:
            return []
        found = [
            ArchiveEntry.from_item(audience, item)
            for item in self._table.query(
                action="reading the archive",
                KeyConditionExpression=Key("pk").eq(archive_pk(audience)),
            )
        ]
        shown = [e for e in found if hidden or not e.hidden]
        return sorted(shown, key=lambda e: (e.started_at, e.slug), reverse=True)

    def of_campaign(self, campaign: Campaign) -> list[ArchiveEntry]:
        """The campaign's entries, one per group it reached (a GetItem each)."""
        slug = archive_slug(campaign.id)
        entries = (self.entry(audience, slug) for audience in campaign.audiences)
        return [e for e in entries if e is not None]

    def set_hidden(self, campaign: Campaign, hidden: bool) -> list[str]:
        """Hide a campaign from the archive (or show it again) in every group it reached;
        return the groups changed (none when it already was)."""
        changed = []
        for entry in self.of_campaign(campaign):
            try:
                self._table.update(
                    {"pk": archive_pk(entry.audience), "sk": entry.slug},
                    action="hiding an archived campaign",
                    expression="SET #hidden = :hidden",  # HIDDEN is a reserved word
                    names={"#hidden": "hidden"},
                    condition=Attr("pk").exists() & Attr("hidden").ne(hidden),
                    values={":hidden": hidden},
                )
            except ConflictError:
                continue  # already as asked
            changed.append(entry.audience)
        return changed
