"""A subscriber as stored: status, preferences, consent evidence, the one-way key, and the
random link id every token carries."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from .identity import new_link_id

SEND_INDEX = "by-send-group"  # sparse GSI: only confirmed subscribers carry `send_group`
LINK_INDEX = "by-link"  # sparse GSI: a token's link id leads to its subscriber


class Mailings(StrEnum):
    """What a subscriber chose to get: both kinds of campaign, or one of them."""

    BOTH = "both"
    DIGEST = "digest"  # the monthly digest only
    ANNOUNCEMENTS = "announcements"  # announcements of new resources only


MAILINGS_LABELS = {
    Mailings.BOTH: "The monthly digest and announcements of new resources",
    Mailings.DIGEST: "Only the monthly digest",
    Mailings.ANNOUNCEMENTS: "Only announcements of new resources",
}
# The campaign kinds (campaigns.model.Kind values) each choice lets through.
_KINDS = {
    Mailings.BOTH: frozenset({"digest", "announcement"}),
    Mailings.DIGEST: frozenset({"digest"}),
    Mailings.ANNOUNCEMENTS: frozenset({"announcement"}),
}


def mailings_of(value: str) -> Mailings:
    """A stored choice; missing (records from before the choice existed) or unknown: both."""
    try:
        return Mailings(value) if value else Mailings.BOTH
    except ValueError:
        return Mailings.BOTH


class Status(StrEnum):
    """Where a subscriber is in their life cycle."""

    PENDING = "pending"
    CONFIRMED = "confirmed"
    UNSUBSCRIBED = "unsubscribed"
    ERASED = "erased"


@dataclass(frozen=True)
class Consent:
    """Evidence of what a subscriber agreed to, and when."""

    at: str
    form_version: str
    statement: str
    user_agent: str = ""  # the browser that pressed the button, as it named itself
    statement_id: str = ""  # the stored words they saw (provenance.py); "" before issue 18


@dataclass(frozen=True)
class Subscriber:
    """One subscriber as stored: address, group, topics, status, and consent evidence."""

    key: str
    email: str
    audience: str
    topics: tuple[str, ...] = ()
    name: str = ""
    organisation: str = ""
    status: Status = Status.PENDING
    created_at: str = ""
    confirmed_at: str = ""
    updated_at: str = ""
    expires_at: int | None = None  # pending records only; TTL deletes late, so check it too
    form_version: str = ""  # which subscribe form the person filled in
    consent: Consent | None = None
    basis: str = ""  # provenance.Basis: why we may email them
    source: str = ""  # "form:<form version>" or "import:<batch id>"
    source_note: str = ""  # an imported row's own source column, as staff gave it
    withdrawn_at: str = ""  # when they unsubscribed (erasure keeps its time on the key)
    withdrawal: str = ""  # how: "by the subscriber" or "by staff"
    # Which campaigns they get (Mailings); "" is both, as for everyone before the choice.
    mailings: str = ""
    # Random, and what every token carries instead of the key. A new one on every pending
    # rewrite, unsubscribe and resubscribe (erase drops it), so links from before stop working.
    link_id: str = field(default_factory=new_link_id)

    def is_expired(self, now: float) -> bool:
        """True for a pending record past its expiry time."""
        return (
            self.status is Status.PENDING
            and self.expires_at is not None
            and (self.expires_at <= now)
        )

    @property
    def choice(self) -> Mailings:
        """What they chose to get (both, when they never chose)."""
        return mailings_of(self.mailings)

    def wants(self, kind: str) -> bool:
        """True if they chose to get campaigns of this kind ("digest" or "announcement")."""
        return kind in _KINDS[self.choice]

    def to_item(self) -> dict[str, Any]:
        """The DynamoDB item (confirmed subscribers also carry the send index's key)."""
        item = {k: v for k, v in asdict(self).items() if v not in (None, "", (), {})}
        item.pop("key")
        item["pk"] = f"sub#{self.key}"
        item["status"] = self.status.value
        if "topics" in item:
            item["topics"] = list(item["topics"])
        if self.status is Status.CONFIRMED:
            item["send_group"] = self.audience
        return item

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> Subscriber:
        """Rebuild from a DynamoDB item."""
        consent = item.get("consent")
        return cls(
            key=item["pk"].removeprefix("sub#"),
            email=item.get("email", ""),
            audience=item.get("audience", ""),
            topics=tuple(item.get("topics", ())),
            name=item.get("name", ""),
            organisation=item.get("organisation", ""),
            status=Status(item["status"]),
            created_at=item.get("created_at", ""),
            confirmed_at=item.get("confirmed_at", ""),
            updated_at=item.get("updated_at", ""),
            expires_at=int(item["expires_at"]) if "expires_at" in item else None,
            form_version=item.get("form_version", ""),
            consent=Consent(**consent) if consent else None,
            basis=item.get("basis", ""),
            source=item.get("source", ""),
            source_note=item.get("source_note", ""),
            withdrawn_at=item.get("withdrawn_at", ""),
            withdrawal=item.get("withdrawal", ""),
            mailings=item.get("mailings", ""),
            link_id=item.get("link_id", ""),
        )


@dataclass(frozen=True)
class Page:
    """One page of a query, and where the next one starts (None when done)."""

    subscribers: list[Subscriber]
    next_start: dict[str, Any] | None
