"""Finding one person for data protection: by their exact address (the same canonical, keyed
look-up the subscribe form uses), never by browsing. What is held, what they were sent, their
bounces and suppression, in one record; the console page and `mailer subscriber show` both
show it, and the audit log names the person only by their key."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mailer.subscribers.census import suppression_kind
from mailer.subscribers.identity import AddressKeys
from mailer.subscribers.lifecycle import Subscriptions
from mailer.subscribers.model import Subscriber
from mailer.subscribers.provenance import Statement
from mailer.subscribers.store import SubscriberStore

from .audit import AuditLog
from .identity import StaffMember

if TYPE_CHECKING:  # the console imports the campaigns' modules only where it uses them
    from mailer.campaigns.ledger import Ledger
    from mailer.campaigns.store import CampaignStore


@dataclass(frozen=True)
class Sent:
    """One campaign's outcome for this person."""

    campaign_id: str
    outcome: str
    at: str


@dataclass(frozen=True)
class PersonRecord:
    """What is held about one address (subscriber None: not known, or erased)."""

    key: str
    subscriber: Subscriber | None
    erased_at: str = ""
    suppression: dict[str, str] | None = None
    transient_bounces: list[str] = field(default_factory=list)
    campaigns: list[Sent] = field(default_factory=list)
    statement: Statement | None = None

    @property
    def known(self) -> bool:
        """True when anything at all is held under this key."""
        return bool(self.subscriber or self.erased_at or self.suppression or self.transient_bounces)


class People:
    """Look-ups and actions on one person, each recorded in the audit log by key."""

    def __init__(
        self,
        *,
        keys: AddressKeys,
        store: SubscriberStore,
        subscriptions: Subscriptions,
        campaigns: CampaignStore,
        ledger: Ledger,
        audit: AuditLog,
    ) -> None:
        self._keys = keys
        self._store = store
        self._subscriptions = subscriptions
        self._campaigns = campaigns
        self._ledger = ledger
        self._audit = audit

    def key(self, address: str) -> str:
        """The one-way key of an address: what the audit log and the console's forms carry."""
        return self._keys.key(address)

    def find(self, actor: StaffMember | str, address: str) -> PersonRecord:
        """Look a person up by address (audited, by key)."""
        record = self.record(self.key(address))
        self._audit.record(
            actor, "looked up a person", {"subscriber": record.key, "known": record.known}
        )
        return record

    def record(self, key: str) -> PersonRecord:
        """Everything held under one key (not audited: callers audit what they do with it)."""
        raw = self._store.raw(key)
        subscriber = self._store.get(key)
        erased_at = ""
        if raw and raw.get("status") == "erased":
            subscriber, erased_at = None, str(raw.get("withdrawn_at") or raw.get("updated_at", ""))
        suppression = self._store.suppression(key)
        if suppression is not None and "kind" not in suppression:  # stored before issue 18
            suppression["kind"] = suppression_kind(str(suppression.get("reason", "")))
        bounces = [
            dt.datetime.fromtimestamp(t, dt.UTC).isoformat(timespec="seconds")
            for t in self._store.transient_bounces(key)
        ]
        statement = None
        if subscriber and subscriber.consent:
            statement = self._store.statement(subscriber.consent.statement_id)
        return PersonRecord(
            key=key,
            subscriber=subscriber,
            erased_at=erased_at,
            suppression=(
                {k: str(v) for k, v in suppression.items() if k != "pk"} if suppression else None
            ),
            transient_bounces=bounces,
            campaigns=self._sent(key) if subscriber or erased_at else [],
            statement=statement,
        )

    def _sent(self, key: str) -> list[Sent]:
        """Each campaign's ledger entry for this person (one read per campaign, newest first).

        Ledger entries are kept 400 days (campaigns/ledger.py), so older sends are not shown.
        """
        found = []
        for status in self._campaigns.list():
            item = self._ledger.entry(status.campaign, key)
            if item:
                at = str(item.get("finished_at") or item.get("claimed_at", ""))
                found.append(Sent(status.campaign.id, str(item.get("state", "")), at))
        return sorted(found, key=lambda s: s.at, reverse=True)

    def unsubscribe(self, actor: StaffMember | str, key: str) -> bool:
        """Unsubscribe them (audited); False if there was nothing to unsubscribe."""
        before = self._store.get(key)
        after = self._subscriptions.unsubscribe_key(key)
        changed = before is not None and after is not None and before.status != after.status
        self._audit.record(actor, "unsubscribed a person", {"subscriber": key, "changed": changed})
        return changed

    def erase(self, actor: StaffMember | str, key: str) -> bool:
        """Erase them, keeping only the key (audited); False if nothing was held."""
        erased = self._subscriptions.erase_key(key)
        self._audit.record(actor, "erased a person", {"subscriber": key, "changed": erased})
        return erased

    def export(self, actor: StaffMember | str, key: str) -> dict[str, Any] | None:
        """The same JSON the subscriber downloads themselves (audited)."""
        record = self._subscriptions.export_key(key)
        self._audit.record(
            actor, "exported a person's data", {"subscriber": key, "found": record is not None}
        )
        return record

    def send_manage_link(self, actor: StaffMember | str, key: str) -> bool:
        """Email them a fresh manage link (audited); False unless they are confirmed."""
        sent = self._subscriptions.manage_link(key)
        self._audit.record(actor, "sent a manage link", {"subscriber": key, "sent": sent})
        return sent
