"""Subscribing, confirming, changing preferences, unsubscribing, exporting and erasing."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from mailer.catalogue.schema import Vocabulary
from mailer.errors import ConflictError

from .model import Consent, Status, Subscriber, subscriber_key
from .notices import Notices
from .ratelimit import RateLimiter
from .store import SubscriberStore
from .tokens import MAX_AGE, Purpose

FORM_VERSION = "subscribe-form-2026-11"

# Per client address: enough for a school sharing one public IP, too few for list bombing.
IP_LIMIT, IP_WINDOW = 20, 3600
# Per email address: emails we send because someone typed it (confirm or manage).
EMAIL_LIMIT, EMAIL_WINDOW = 3, 24 * 3600


def consent_statement(organisation: str) -> str:
    """What a subscriber agrees to: shown on the form and stored as consent evidence."""
    return (
        f"Send me {organisation}'s monthly email digest of free resources on modern slavery, "
        "and occasional emails announcing new resources. I can change what I get or "
        "unsubscribe at any time."
    )


class SubscribeOutcome(StrEnum):
    """What a subscribe request did. The visitor sees the same page for every outcome."""

    CONFIRM_SENT = "confirm-sent"
    MANAGE_SENT = "manage-sent"
    EMAIL_LIMITED = "email-limited"
    IP_LIMITED = "ip-limited"
    SUPPRESSED = "suppressed"  # complained or hard-bounced: we never write to it again


@dataclass(frozen=True)
class SignupRequest:
    """What the subscribe form collected, already validated."""

    email: str
    audience: str
    topics: tuple[str, ...]
    name: str = ""
    organisation: str = ""
    client_ip: str = ""


class Subscriptions:
    """The subscription life cycle, over the store, the rate limiter and the notices."""

    def __init__(
        self,
        store: SubscriberStore,
        limiter: RateLimiter,
        notices: Notices,
        vocabulary: Vocabulary,
        organisation: str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._limiter = limiter
        self._notices = notices
        self._vocabulary = vocabulary
        self._organisation = organisation
        self._clock = clock

    def _now(self) -> tuple[int, str]:
        now = self._clock()
        return int(now), dt.datetime.fromtimestamp(now, dt.UTC).isoformat(timespec="seconds")

    def subscribe(self, request: SignupRequest) -> SubscribeOutcome:
        """Start or repeat a double opt-in; a confirmed address gets a manage email instead."""
        if not self._limiter.hit(f"subscribe-ip:{request.client_ip}", IP_LIMIT, IP_WINDOW):
            return SubscribeOutcome.IP_LIMITED
        key = subscriber_key(request.email)
        if self._store.is_suppressed(key):
            return SubscribeOutcome.SUPPRESSED
        existing = self._store.get(key)
        if existing is not None and existing.status is Status.CONFIRMED:
            # Never change a confirmed subscriber's preferences from the public form.
            return self._send_manage(key, existing.email)
        # Limit before writing: past the limit, the form must not rewrite what the owner's
        # confirm link will confirm.
        if not self._limiter.hit(f"subscribe-email:{key}", EMAIL_LIMIT, EMAIL_WINDOW):
            return SubscribeOutcome.EMAIL_LIMITED
        now, now_iso = self._now()
        pending = Subscriber(
            key=key,
            email=request.email.strip(),
            audience=request.audience,
            topics=self._normalise_topics(request.topics),
            name=request.name,
            organisation=request.organisation,
            status=Status.PENDING,
            created_at=existing.created_at if existing and existing.created_at else now_iso,
            updated_at=now_iso,
            expires_at=now + MAX_AGE[Purpose.CONFIRM],
            form_version=FORM_VERSION,
        )
        try:
            self._store.put_unless_confirmed(pending)
        except ConflictError:  # confirmed between our read and our write
            return self._send_manage(key, pending.email, counted=True)
        self._notices.confirm(key, pending.email)
        return SubscribeOutcome.CONFIRM_SENT

    def _send_manage(self, key: str, email: str, counted: bool = False) -> SubscribeOutcome:
        if not counted and not self._limiter.hit(
            f"subscribe-email:{key}", EMAIL_LIMIT, EMAIL_WINDOW
        ):
            return SubscribeOutcome.EMAIL_LIMITED
        self._notices.manage(key, email)
        return SubscribeOutcome.MANAGE_SENT

    def confirm(self, key: str) -> Subscriber | None:
        """Confirm a pending subscription (idempotent); None if the link is no longer usable."""
        for _ in range(3):
            current = self._store.get(key)
            if current is None or current.status in (Status.UNSUBSCRIBED, Status.ERASED):
                return None
            if current.status is Status.CONFIRMED:
                return current
            _, now_iso = self._now()
            confirmed = replace(
                current,
                status=Status.CONFIRMED,
                confirmed_at=now_iso,
                updated_at=now_iso,
                expires_at=None,
                consent=Consent(
                    at=now_iso,
                    form_version=current.form_version,
                    statement=consent_statement(self._organisation),
                ),
            )
            try:
                self._store.replace(current, confirmed)
                return confirmed
            except ConflictError:
                continue  # changed under us (a double click): read again and decide again
        return self._store.get(key)

    def subscriber(self, key: str) -> Subscriber | None:
        """The subscriber a manage link points to, if any."""
        return self._store.get(key)

    def update_preferences(
        self, key: str, audience: str, topics: Sequence[str], name: str, organisation: str
    ) -> Subscriber | None:
        """Change a confirmed subscriber's group, topics and name; email them that it changed."""
        current = self._store.get(key)
        if current is None or current.status is not Status.CONFIRMED:
            return None
        _, now_iso = self._now()
        updated = replace(
            current,
            audience=audience,
            topics=self._normalise_topics(topics),
            name=name,
            organisation=organisation,
            updated_at=now_iso,
        )
        if updated == replace(current, updated_at=now_iso):
            return current  # nothing changed: no write, no email
        self._store.replace(current, updated)
        if self._store.is_suppressed(key):
            return updated
        self._notices.preferences_changed(updated)
        return updated

    def unsubscribe(self, key: str) -> None:
        """Stop all campaign email to this subscriber. Idempotent."""
        for _ in range(3):
            current = self._store.get(key)
            if current is None or current.status in (Status.UNSUBSCRIBED, Status.ERASED):
                return
            _, now_iso = self._now()
            try:
                self._store.replace(
                    current,
                    replace(
                        current, status=Status.UNSUBSCRIBED, updated_at=now_iso, expires_at=None
                    ),
                )
                return
            except ConflictError:
                continue
        raise ConflictError("the subscription kept changing; please try again")

    def export(self, key: str) -> dict[str, Any] | None:
        """Everything stored about a subscriber, as a JSON-ready dict."""
        current = self._store.get(key)
        if current is None or current.status is Status.ERASED:
            return None
        record = {
            "email": current.email,
            "name": current.name,
            "group": current.audience,
            "organisation": current.organisation,
            "topics": list(current.topics) or "all topics",
            "status": current.status.value,
            "subscribed_at": current.created_at,
            "confirmed_at": current.confirmed_at,
            "last_changed_at": current.updated_at,
        }
        if current.consent:
            record["consent"] = {
                "at": current.consent.at,
                "form_version": current.consent.form_version,
                "statement": current.consent.statement,
            }
        return record

    def erase(self, key: str) -> None:
        """Delete the subscriber, keeping only the one-way key so they are never mailed again."""
        _, now_iso = self._now()
        self._store.erase(key, now_iso)

    def _normalise_topics(self, topics: Sequence[str]) -> tuple[str, ...]:
        chosen = tuple(t for t in self._vocabulary.topics if t in set(topics))
        # Every topic ticked means "everything", including topics added later.
        return () if len(chosen) == len(self._vocabulary.topics) else chosen
