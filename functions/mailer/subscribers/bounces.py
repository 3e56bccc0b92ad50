"""Bounces and complaints from SES: suppress an address at once on a complaint or a permanent
bounce, and after three transient bounces within 30 days. Suppressed addresses are never sent to
(the sender checks before every send).

Events arrive from an EventBridge rule on the default bus matching source "aws.ses". Only AWS
services can put events with an "aws." source on a bus, so the rule cannot be fed forged
events; the handler still checks the source, the detail type, the account and (when set) the
configuration set, and rejects anything else without retrying it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parseaddr
from typing import Any, Protocol

from mailer.errors import MailerError

from .identity import AddressKeys
from .store import SubscriberStore

logger = logging.getLogger(__name__)

SOURCE = "aws.ses"
DETAIL_TYPES = {"Email Bounced": "Bounce", "Email Complaint Received": "Complaint"}
TRANSIENT_LIMIT = 3
TRANSIENT_WINDOW = 30 * 24 * 3600


class ProcessedEvents(Protocol):
    """Remembers which events were acted on (ses_events.SesEventMarkers on AWS)."""

    def seen(self, event_id: str) -> bool:
        """True if the event was acted on already."""
        ...

    def mark(self, event_id: str, kind: str = "") -> None:
        """Remember that the event (a "bounce" or a "complaint") was acted on."""
        ...


class MalformedEventError(MailerError):
    """An event that is not an SES bounce or complaint this code can act on."""


@dataclass(frozen=True)
class SesEvent:
    """The parts of an SES bounce or complaint event the mailer acts on."""

    event_id: str
    kind: str  # "Bounce" or "Complaint"
    bounce_type: str  # "Permanent", "Transient" or "Undetermined"; "" for complaints
    addresses: tuple[str, ...]
    at: dt.datetime

    @property
    def suppress_now(self) -> bool:
        """Complaints and permanent bounces suppress at once; the rest are counted."""
        return self.kind == "Complaint" or self.bounce_type == "Permanent"


def parse_event(event: Any, *, account: str | None = None, configuration_set: str = "") -> SesEvent:
    """Check that an EventBridge event is a genuine SES bounce or complaint and read it."""
    if not isinstance(event, Mapping):
        raise MalformedEventError("event is not a JSON object")
    if event.get("source") != SOURCE:
        raise MalformedEventError(f"source is {event.get('source')!r}, not {SOURCE!r}")
    kind = DETAIL_TYPES.get(str(event.get("detail-type")))
    if kind is None:
        raise MalformedEventError(f"unexpected detail-type {event.get('detail-type')!r}")
    if account and event.get("account") != account:
        raise MalformedEventError("event comes from another AWS account")
    detail = event.get("detail")
    if not isinstance(detail, Mapping) or detail.get("eventType") != kind:
        raise MalformedEventError("detail is missing or does not match the detail-type")
    tags = (detail.get("mail") or {}).get("tags") or {}
    if configuration_set and configuration_set not in (tags.get("ses:configuration-set") or []):
        raise MalformedEventError("event is for another configuration set")
    body = detail.get(kind.lower())
    if not isinstance(body, Mapping):
        raise MalformedEventError(f"detail has no {kind.lower()} object")
    listed = body.get("bouncedRecipients" if kind == "Bounce" else "complainedRecipients")
    addresses = tuple(
        parseaddr(r["emailAddress"])[1]
        for r in listed or []
        if isinstance(r, Mapping) and isinstance(r.get("emailAddress"), str)
    )
    if not any(addresses):
        raise MalformedEventError("event names no recipient")
    bounce_type = str(body.get("bounceType", "")) if kind == "Bounce" else ""
    if kind == "Bounce" and bounce_type not in ("Permanent", "Transient", "Undetermined"):
        raise MalformedEventError(f"unexpected bounceType {bounce_type!r}")
    # SES's own id for the bounce or complaint survives SES publishing the event twice.
    event_id = str(body.get("feedbackId") or event.get("id") or "")
    if not event_id:
        raise MalformedEventError("event has no id")
    return SesEvent(
        event_id, kind, bounce_type, tuple(a for a in addresses if a), _when(body, event)
    )


def _when(body: Mapping[str, Any], event: Mapping[str, Any]) -> dt.datetime:
    for text in (body.get("timestamp"), event.get("time")):
        try:
            when = dt.datetime.fromisoformat(str(text))
        except ValueError:
            continue
        return when if when.tzinfo else when.replace(tzinfo=dt.UTC)
    raise MalformedEventError("event has no valid timestamp")


@dataclass(frozen=True)
class BounceReport:
    """What handling one event did (the function's result, and its log line)."""

    event_id: str
    outcome: str  # "handled", "duplicate" or "rejected"
    suppressed: int = 0
    counted: int = 0
    error: str = ""

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready summary; a rejected event is listed as a failed item."""
        return {
            "event": self.event_id,
            "outcome": self.outcome,
            "suppressed": self.suppressed,
            "counted": self.counted,
            "failed_items": [{"event": self.event_id, "error": self.error}] if self.error else [],
        }


class BounceHandler:
    """Turns SES bounce and complaint events into suppressions; safe to run an event twice."""

    def __init__(
        self,
        subscribers: SubscriberStore,
        processed: ProcessedEvents,
        *,
        keys: AddressKeys,
        configuration_set: str = "",
    ) -> None:
        self._subscribers = subscribers
        self._keys = keys
        self._processed = processed
        self._configuration_set = configuration_set

    def handle(self, event: Any, *, account: str | None = None) -> BounceReport:
        """Act on one event. A malformed one is logged and rejected, never raised: retrying it
        could not help. Storage errors do raise, so Lambda retries, then dead-letters, the event."""
        try:
            ses_event = parse_event(
                event, account=account, configuration_set=self._configuration_set
            )
        except MalformedEventError as exc:
            event_id = str(event.get("id", "")) if isinstance(event, Mapping) else ""
            logger.error("rejected an SES event %s: %s", event_id, exc)
            return BounceReport(event_id, "rejected", error=str(exc))
        if self._processed.seen(ses_event.event_id):
            return BounceReport(ses_event.event_id, "duplicate")
        suppressed = counted = 0
        at_iso = ses_event.at.isoformat(timespec="seconds")
        for address in ses_event.addresses:
            key = self._keys.key(address)
            if ses_event.suppress_now:
                reason = "complaint" if ses_event.kind == "Complaint" else "permanent bounce"
            else:
                counted += 1
                bounces = self._subscribers.record_transient_bounce(
                    key, int(ses_event.at.timestamp()), TRANSIENT_WINDOW
                )
                if bounces < TRANSIENT_LIMIT:
                    logger.info("transient bounce %d of %d: %s", bounces, TRANSIENT_LIMIT, key[:12])
                    continue
                reason = f"{bounces} transient bounces in 30 days"
            self._subscribers.suppress(key, reason, at_iso)
            suppressed += 1
            logger.warning("suppressed %s: %s", key[:12], reason)
        # Marked only once acted on: a crash before this line repeats the work, which is
        # harmless for suppressions and at worst counts one transient bounce twice.
        self._processed.mark(ses_event.event_id, ses_event.kind.lower())
        return BounceReport(ses_event.event_id, "handled", suppressed, counted)
