"""Subscribing, confirming, changing preferences, unsubscribing, exporting and erasing."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from mailer.catalogue.schema import Vocabulary
from mailer.errors import ConflictError

from .identity import AddressKeys, canonical_address, client_network, new_link_id
from .model import MAILINGS_LABELS, Consent, Mailings, Status, Subscriber, mailings_of
from .notices import Notices
from .proof import Proof
from .provenance import (
    Basis,
    Statement,
    consent_statement,
    repermission_statement,
    subscribe_form_statement,
)
from .ratelimit import RateLimiter
from .store import SubscriberStore
from .tokens import MAX_AGE, Purpose

logger = logging.getLogger(__name__)

# The form as people see it now: since "-choice" it asks what they want to get. A pending record
# from the form before is confirmed against the words that form showed (statement_for).
FORM_VERSION = "subscribe-form-2026-12-choice"
FORM_BEFORE_CHOICE = "subscribe-form-2026-12"
REPERMISSION_VERSION = "repermission-2026-12"  # the email an imported address is asked in
BY_SUBSCRIBER, BY_STAFF = "by the subscriber", "by staff"

# Per client (an IPv4 address or an IPv6 /64): enough for a school sharing one public IP, too
# few for list bombing.
IP_LIMIT, IP_WINDOW = 20, 3600
# Without a proof of work (script off, or a bot that will not pay): still allowed, so a person
# on a locked-down school laptop can subscribe, but a client gets few, and all such clients
# together a small hourly share.
UNPROVEN_IP_LIMIT, UNPROVEN_HOURLY_CAP = 5, 60
# Per canonical email address: emails we send because someone typed it (confirm or manage).
EMAIL_LIMIT, EMAIL_WINDOW = 3, 24 * 3600
# A pending address gets one confirm email per this long: within it the form changes nothing,
# so the owner's link keeps working and their mailbox is not flooded.
CONFIRM_RESEND_AFTER = 6 * 3600
# Hourly caps on the emails the public form causes, overall and per recipient domain: far above
# a real launch, far below what would put the SES account's bounce and complaint rates at risk.
HOURLY_CAP, DOMAIN_HOURLY_CAP, CAP_WINDOW = 300, 100, 3600
# Per recipient domain and day: catch-all domains (every local part reaches one owner) escape
# the per-mailbox limit, so a domain's whole day is capped too, lower for a domain no subscriber
# has confirmed at yet (the typical target of list bombing is a domain we have never mailed).
DOMAIN_DAILY_CAP, NEW_DOMAIN_DAILY_CAP, DAY = 200, 20, 24 * 3600
# When the overall hourly cap is this full, new proof-of-work challenges cost more (proof.py),
# so a few networks cannot use it up and silently stop every real sign-up.
CAP_PRESSURE = 0.8
# At most one "preferences changed" email per subscriber per this long: the first change is
# told at once; later ones in the window are folded into it (its link shows the page as it is).
PREFERENCES_NOTICE_EVERY = 6 * 3600
# The log line the template's metric filter counts (and alarms on): keep the two in step.
CAP_REACHED_LOG = "subscribe email cap reached"


__all__ = ["consent_statement"]  # the form's words live in provenance.py; kept importable here


class SubscribeOutcome(StrEnum):
    """What a subscribe request did. The visitor sees the same page for every outcome."""

    CONFIRM_SENT = "confirm-sent"
    MANAGE_SENT = "manage-sent"
    EMAIL_LIMITED = "email-limited"
    IP_LIMITED = "ip-limited"
    PENDING_RECENT = "pending-recent"  # a confirm email went out less than 6 hours ago
    CAPPED = "capped"  # the hourly cap, overall or for the recipient's domain
    SUPPRESSED = "suppressed"  # complained or hard-bounced: we never write to it again


@dataclass(frozen=True)
class SignupRequest:
    """What the subscribe form collected, already validated."""

    email: str
    audience: str
    topics: tuple[str, ...]
    client_ip: str = ""
    proof: Proof = Proof.ABSENT  # INVALID never gets here: the form refuses it
    mailings: str = ""  # a Mailings value; "" or "both": every campaign


@dataclass(frozen=True)
class Confirmation:
    """What pressing a confirm button did: None when the link is no longer usable."""

    subscriber: Subscriber | None
    already: bool = False  # confirmed by an earlier press


class Subscriptions:
    """The subscription life cycle, over the store, the rate limiter and the notices."""

    def __init__(
        self,
        store: SubscriberStore,
        limiter: RateLimiter,
        notices: Notices,
        vocabulary: Vocabulary,
        organisation: str,
        keys: AddressKeys,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._keys = keys
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
        client = client_network(request.client_ip)
        if not self._limiter.hit(f"subscribe-ip:{client}", IP_LIMIT, IP_WINDOW):
            return SubscribeOutcome.IP_LIMITED
        if request.proof is not Proof.SOLVED:
            if not self._limiter.hit(
                f"subscribe-unproven-ip:{client}", UNPROVEN_IP_LIMIT, IP_WINDOW
            ):
                return SubscribeOutcome.IP_LIMITED
            if not self._limiter.hit("subscribe-unproven-all", UNPROVEN_HOURLY_CAP, CAP_WINDOW):
                logger.warning("%s: %s", CAP_REACHED_LOG, "without proof of work")
                return SubscribeOutcome.CAPPED
        key = self._keys.key(request.email)
        if self._store.is_suppressed(key):
            return SubscribeOutcome.SUPPRESSED
        existing = self._store.get(key)
        if existing is not None and existing.status is Status.CONFIRMED:
            # Never change a confirmed subscriber's preferences from the public form.
            return self._send_manage(existing)
        now, now_iso = self._now()
        if (
            existing is not None
            and existing.status is Status.PENDING
            and now - _epoch(existing.updated_at) < CONFIRM_RESEND_AFTER
        ):
            return SubscribeOutcome.PENDING_RECENT
        # Limit before writing: past a limit, the form must not rewrite what the owner's
        # confirm link will confirm.
        limited = self._limit_email(key, request.email)
        if limited is not None:
            return limited
        pending = Subscriber(
            key=key,
            email=request.email.strip(),
            audience=request.audience,
            topics=self._normalise_topics(request.topics),
            status=Status.PENDING,
            created_at=existing.created_at if existing and existing.created_at else now_iso,
            updated_at=now_iso,
            expires_at=now + MAX_AGE[Purpose.CONFIRM],
            form_version=FORM_VERSION,
            mailings=stored_mailings(request.mailings),
            link_id=new_link_id(),  # every rewrite: links sent before it confirm nothing
        )
        try:
            self._store.put_unless_confirmed(pending)
        except ConflictError:  # confirmed between our read and our write
            confirmed = self._store.get(key)
            if confirmed is None or confirmed.status is not Status.CONFIRMED:
                return SubscribeOutcome.EMAIL_LIMITED
            return self._send_manage(confirmed, counted=True)
        self._notices.confirm(pending)
        return SubscribeOutcome.CONFIRM_SENT

    def _limit_email(self, key: str, address: str) -> SubscribeOutcome | None:
        """Count one form-caused email against its limits; the outcome if one is reached."""
        if not self._limiter.hit(f"subscribe-email:{key}", EMAIL_LIMIT, EMAIL_WINDOW):
            return SubscribeOutcome.EMAIL_LIMITED
        domain = canonical_address(address).rpartition("@")[2]
        daily = DOMAIN_DAILY_CAP if self._store.seen(self._domain(domain)) else NEW_DOMAIN_DAILY_CAP
        # The domain first: a flood at one domain must not use up everyone else's share.
        for bucket, cap, window in (
            (f"domain-day:{domain}", daily, DAY),
            (f"domain:{domain}", DOMAIN_HOURLY_CAP, CAP_WINDOW),
            ("all", HOURLY_CAP, CAP_WINDOW),
        ):
            if not self._limiter.hit(f"subscribe-cap:{bucket}", cap, window):
                # The domain is not personal data and tells the reader where a flood aims.
                logger.warning("%s: %s", CAP_REACHED_LOG, "overall" if bucket == "all" else bucket)
                return SubscribeOutcome.CAPPED
        return None

    def _domain(self, domain: str) -> str:
        return self._keys.bucket(f"domain:{domain}")

    def cap_pressure(self) -> float:
        """How full the overall hourly cap on form emails is (1.0: reached)."""
        return self._limiter.count("subscribe-cap:all", CAP_WINDOW) / HOURLY_CAP

    def under_pressure(self) -> bool:
        """True when the hourly caps are within 20% of their limit: proof of work costs more."""
        unproven = self._limiter.count("subscribe-unproven-all", CAP_WINDOW) / UNPROVEN_HOURLY_CAP
        return max(self.cap_pressure(), unproven) >= CAP_PRESSURE

    def _send_manage(self, subscriber: Subscriber, counted: bool = False) -> SubscribeOutcome:
        if not counted:
            limited = self._limit_email(subscriber.key, subscriber.email)
            if limited is not None:
                return limited
        self._notices.manage(subscriber)
        return SubscribeOutcome.MANAGE_SENT

    def pending(self, link_id: str) -> Subscriber | None:
        """What a confirm link would confirm (pending or already confirmed), if still usable."""
        current = self._store.by_link(link_id)
        if current is None or current.status not in (Status.PENDING, Status.CONFIRMED):
            return None
        return current

    def confirm(self, link_id: str, user_agent: str = "") -> Confirmation:
        """Confirm the pending subscription this link was sent for, once."""
        for _ in range(3):
            current = self._store.by_link(link_id)
            if current is None or current.status in (Status.UNSUBSCRIBED, Status.ERASED):
                return Confirmation(None)
            if current.status is Status.CONFIRMED:
                return Confirmation(current, already=True)
            _, now_iso = self._now()
            statement = self.statement_for(current.form_version)
            confirmed = replace(
                current,
                status=Status.CONFIRMED,
                confirmed_at=now_iso,
                updated_at=now_iso,
                expires_at=None,
                consent=Consent(
                    at=now_iso,
                    form_version=current.form_version,
                    statement=statement.statement,
                    user_agent=_one_line(user_agent)[:512],
                    statement_id=self._store.save_statement(statement),
                ),
                basis=Basis.CONSENT.value,
                source=current.source or f"form:{current.form_version}",
            )
            try:
                self._store.replace(current, confirmed)
                self._store.mark_seen(
                    self._domain(canonical_address(current.email).rpartition("@")[2])
                )
                return Confirmation(confirmed)
            except ConflictError:
                continue  # changed under us (a double click): read again and decide again
        current = self._store.by_link(link_id)
        return Confirmation(current, already=current is not None)

    def subscriber(self, link_id: str) -> Subscriber | None:
        """The subscriber a manage link points to, if any."""
        return self._store.by_link(link_id)

    def update_preferences(
        self,
        link_id: str,
        audience: str,
        topics: Sequence[str],
        name: str,
        organisation: str,
        mailings: str | None = None,
    ) -> Subscriber | None:
        """Change a confirmed subscriber's group, topics, name and what they get (`mailings`,
        None: unchanged); email them that it changed."""
        current = self._store.by_link(link_id)
        if current is None or current.status is not Status.CONFIRMED:
            return None
        _, now_iso = self._now()
        updated = replace(
            current,
            audience=audience,
            topics=self._normalise_topics(topics),
            name=name,
            organisation=organisation,
            mailings=current.mailings if mailings is None else stored_mailings(mailings),
            updated_at=now_iso,
        )
        if updated == replace(current, updated_at=now_iso):
            return current  # nothing changed: no write, no email
        self._store.replace(current, updated)
        if self._store.is_suppressed(current.key):
            return updated
        if self._store.claim_once_per(
            f"preferences-notice#{current.key}", PREFERENCES_NOTICE_EVERY
        ):
            self._notices.preferences_changed(updated)
        return updated

    def statement_for(self, form_version: str) -> Statement:
        """The words a person confirming from this form (or re-permission email) was shown."""
        if form_version.startswith("repermission"):
            return repermission_statement(form_version, self._organisation)
        fields = "; ".join(
            [
                "Email address",
                "I am subscribing as: " + ", ".join(self._vocabulary.audiences.values()),
                "Topics I am interested in: " + ", ".join(self._vocabulary.topics.values()),
            ]
            + (
                []
                if form_version == FORM_BEFORE_CHOICE
                else ["What I want to get: " + ", ".join(MAILINGS_LABELS.values())]
            )
        )
        return subscribe_form_statement(form_version or FORM_VERSION, self._organisation, fields)

    def unsubscribe(self, link_id: str) -> Subscriber | None:
        """Stop all campaign email to this subscriber (idempotent); the record as it is now.

        The link id rotates, so every link sent before stops working (a second press of the
        same one-click link finds nobody, which is as good as done).
        """
        return self._unsubscribe(lambda: self._store.by_link(link_id), BY_SUBSCRIBER)

    def unsubscribe_key(self, key: str, by: str = BY_STAFF) -> Subscriber | None:
        """Unsubscribe the subscriber with this key (staff acting on a person's request)."""
        return self._unsubscribe(lambda: self._store.get(key), by)

    def _unsubscribe(self, find: Callable[[], Subscriber | None], by: str) -> Subscriber | None:
        for _ in range(3):
            current = find()
            if current is None or current.status in (Status.UNSUBSCRIBED, Status.ERASED):
                return current
            _, now_iso = self._now()
            unsubscribed = replace(
                current,
                status=Status.UNSUBSCRIBED,
                updated_at=now_iso,
                expires_at=None,
                link_id=new_link_id(),
                withdrawn_at=now_iso,
                withdrawal=by,
            )
            try:
                self._store.replace(current, unsubscribed)
                return unsubscribed
            except ConflictError:
                continue
        raise ConflictError("the subscription kept changing; please try again")

    def export(self, link_id: str) -> dict[str, Any] | None:
        """Everything stored about a subscriber, as a JSON-ready dict."""
        return self.export_record(self._store.by_link(link_id))

    def export_key(self, key: str) -> dict[str, Any] | None:
        """The same export, for staff answering a person's request for their data."""
        return self.export_record(self._store.get(key))

    def export_record(self, current: Subscriber | None) -> dict[str, Any] | None:
        """Everything stored about one subscriber: details, basis, source, evidence, withdrawal."""
        if current is None or current.status is Status.ERASED:
            return None
        record: dict[str, Any] = {
            "email": current.email,
            "name": current.name,
            "group": current.audience,
            "organisation": current.organisation,
            "topics": list(current.topics) or "all topics",
            "gets": MAILINGS_LABELS[current.choice],
            "status": current.status.value,
            "subscribed_at": current.created_at,
            "confirmed_at": current.confirmed_at,
            "last_changed_at": current.updated_at,
            "lawful_basis": current.basis,
            "source": current.source,
        }
        if current.source_note:
            record["source_note"] = current.source_note
        if current.consent:
            record["consent"] = {
                "at": current.consent.at,
                "form_version": current.consent.form_version,
                "statement": current.consent.statement,
                "browser": current.consent.user_agent,
            }
            shown = self._store.statement(current.consent.statement_id)
            if shown is not None:
                record["consent"]["statement_id"] = current.consent.statement_id
                record["consent"]["what_you_were_shown"] = shown.form_text
        if current.withdrawn_at:
            record["withdrawn"] = {"at": current.withdrawn_at, "how": current.withdrawal}
        return record

    def erase(self, link_id: str) -> None:
        """Delete the subscriber, keeping only the one-way key so they are never mailed again."""
        current = self._store.by_link(link_id)
        if current is None:
            return
        _, now_iso = self._now()
        self._store.erase(current.key, now_iso, BY_SUBSCRIBER)

    def erase_key(self, key: str, by: str = BY_STAFF) -> bool:
        """Erase the subscriber with this key (staff acting on a request); False if none."""
        current = self._store.raw(key)
        if current is None or current.get("status") == Status.ERASED.value:
            return False
        _, now_iso = self._now()
        self._store.erase(key, now_iso, by)
        return True

    def manage_link(self, key: str) -> bool:
        """Email a confirmed subscriber a fresh manage link (staff, on the phone to them)."""
        current = self._store.get(key)
        if current is None or current.status is not Status.CONFIRMED:
            return False
        if self._store.is_suppressed(key):
            return False
        self._notices.manage(current)
        return True

    def _normalise_topics(self, topics: Sequence[str]) -> tuple[str, ...]:
        chosen = tuple(t for t in self._vocabulary.topics if t in set(topics))
        # Every topic ticked means "everything", including topics added later.
        return () if len(chosen) == len(self._vocabulary.topics) else chosen


def stored_mailings(value: str) -> str:
    """A choice as stored: "" for both (as on every record from before the choice existed)."""
    choice = mailings_of(value)
    return "" if choice is Mailings.BOTH else choice.value


def _epoch(iso: str) -> float:
    """Seconds since the epoch of a stored ISO time (missing or unreadable: long ago)."""
    try:
        return dt.datetime.fromisoformat(iso).timestamp()
    except ValueError:
        return 0.0


def _one_line(text: str) -> str:
    """Text as one line of printable characters (a header value someone else chose)."""
    return "".join(c if c.isprintable() else " " for c in text).strip()
