"""Scheduled campaigns: a sender chooses when an approved announcement or digest goes out, and
may reschedule or unschedule it until it starts.

The draft is the truth (drafts.py: state "scheduled", `scheduled_for`, a new version for every
change). The scheduler holds one one-time schedule per draft, named after it, which only the
planner function may create and delete: the console writes the draft, then hands the planner a
"schedule-sync" event, and the planner makes the schedule match the draft as it is *then*. A
sync delivered twice, late or out of order sets the same schedule or deletes it again.

At its time the schedule sends {"kind": "scheduled-send", "draft_id", "version"}: the draft is
sent only while it is still scheduled at that version, so a delivery of an older schedule after a
reschedule, or after an unschedule, starts nothing; a second delivery finds the draft sent (the
send writes the campaign record and the draft's move to "sent" all or nothing) and only resumes
planning what was stored. A delivery that arrives late still sends: the sender asked for it.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from .approval import AlreadyAnnouncedError, Approvals
from .digests import DigestDrafts, draft_period
from .drafts import Draft, DraftState, DraftStore, StaleDraftError
from .model import Kind
from .send_time import check_send_time, stored_moment

logger = logging.getLogger(__name__)

SYNC, SEND = "schedule-sync", "scheduled-send"


class ScheduleBook(Protocol):
    """The one-time schedules (EventBridge Scheduler on AWS and on the local stack)."""

    def put(self, name: str, at: dt.datetime, event: Mapping[str, Any], target: str) -> None:
        """Create or replace the schedule `name`, to deliver `event` to `target` at `at`."""
        ...

    def delete(self, name: str) -> None:
        """Delete the schedule `name`; one already gone is fine."""
        ...


def schedule_name(draft_id: str) -> str:
    """The schedule of a draft (one each): its name within the campaigns' schedule group."""
    return f"campaign-{draft_id}"


class CampaignSchedules:
    """Scheduling drafts (the console, the CLI) and the planner's side of it (sync, send)."""

    def __init__(
        self,
        *,
        drafts: DraftStore,
        approvals: Approvals,
        digests: DigestDrafts,
        book: Callable[[], ScheduleBook],
        hand_off: Callable[[Mapping[str, Any]], None] | None,
        local_target: str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """`hand_off` gives an event to the planner function (None: handle it here, as on the
        local stack); `local_target` is what schedules made here deliver to."""
        self._drafts = drafts
        self._approvals = approvals
        self._digests = digests
        self._book = book
        self._hand_off = hand_off
        self._local_target = local_target
        self._clock = clock

    def now(self) -> dt.datetime:
        """The time now, on the clock schedules are judged by (the container's)."""
        return dt.datetime.fromtimestamp(self._clock(), dt.UTC)

    # --- the console's and the CLI's side ---------------------------------------------------

    def schedule(self, draft: Draft, at: dt.datetime, member: str) -> Draft:
        """Schedule (or reschedule) an approved draft for `at`; SendTimeError says why not."""
        if draft.state not in (DraftState.APPROVED, DraftState.SCHEDULED):
            raise StaleDraftError("a sender must approve this draft before it can be scheduled")
        first = draft_period(draft).start if draft.kind is Kind.DIGEST else None
        check_send_time(at, self.now(), first=first)
        scheduled = self._drafts.schedule(draft, stored_moment(at), member)
        self._request_sync(scheduled)
        return scheduled

    def unschedule(self, draft: Draft, member: str) -> Draft:
        """Take a scheduled draft off its schedule; it stays approved."""
        approved = self._drafts.unschedule(draft, member)
        self._request_sync(approved)
        return approved

    def _request_sync(self, draft: Draft) -> None:
        event = {"kind": SYNC, "draft_id": draft.id}
        if self._hand_off is None:
            self.sync(draft.id)
        else:
            self._hand_off(event)

    # --- the planner's side -------------------------------------------------------------------

    def handles(self, event: Any) -> bool:
        """True for the events this module answers."""
        return isinstance(event, Mapping) and event.get("kind") in (SYNC, SEND)

    def handle(
        self,
        event: Mapping[str, Any],
        time_left: Callable[[], float] | None = None,
        target: str = "",
    ) -> dict[str, Any]:
        """A sync or a send event; `target`: the planner function's ARN (its own context's)."""
        draft_id = str(event.get("draft_id", ""))
        if not draft_id.isalnum():
            logger.error("rejected a schedule event without a draft id")
            return {"status": "rejected", "error": "a schedule event names a draft"}
        if event["kind"] == SYNC:
            return self.sync(draft_id, target)
        try:
            version = int(event.get("version", 0))
        except (TypeError, ValueError):
            version = 0
        return self.send(draft_id, version, time_left)

    def sync(self, draft_id: str, target: str = "") -> dict[str, Any]:
        """Make the draft's schedule match the draft now: set for a scheduled draft (sent at
        once if its time has passed), deleted for any other."""
        draft = self._drafts.get(draft_id)
        name = schedule_name(draft_id)
        if draft is None or draft.state is not DraftState.SCHEDULED:
            self._book().delete(name)
            return {"status": "unscheduled", "draft": draft_id}
        at = dt.datetime.fromisoformat(draft.scheduled_for)
        if at <= self.now():  # the sync itself came late: the scheduler would never fire
            return self.send(draft.id, draft.version)
        event = {"kind": SEND, "draft_id": draft.id, "version": draft.version}
        self._book().put(name, at, event, target or self._local_target)
        self._drafts.mark_schedule_set(draft)
        logger.info("draft %s scheduled for %s (version %s)", draft.id, at, draft.version)
        return {"status": "scheduled", "draft": draft.id, "at": draft.scheduled_for}

    def send(
        self, draft_id: str, version: int, time_left: Callable[[], float] | None = None
    ) -> dict[str, Any]:
        """Send the draft as approved if it is still scheduled at `version`; a sent one is
        only resumed (its stored record planned again, which starts nothing twice)."""
        draft = self._drafts.get(draft_id)
        if draft is None:
            return {"status": "ignored", "why": "no such draft"}
        if draft.state is DraftState.SENT:
            return self._resume(draft, time_left)
        if draft.state is not DraftState.SCHEDULED or draft.version != version:
            logger.info(
                "draft %s: schedule for version %s is stale, nothing sent", draft.id, version
            )
            return {
                "status": "ignored",
                "why": f"the draft is {draft.state}, version {draft.version}",
            }
        member = draft.scheduled_by
        try:
            if draft.kind is Kind.DIGEST:
                started = self._digests.send_scheduled(draft, member, time_left)
                campaign_id = started.campaign.id if started.campaign else ""
            else:
                campaign_id = self._approvals.send(draft, member).id
        except StaleDraftError:  # another delivery sent it meanwhile
            now = self._drafts.get(draft.id)
            if now is not None and now.state is DraftState.SENT:
                return self._resume(now, time_left)
            raise
        except AlreadyAnnouncedError as exc:  # another draft reached a group first: no retry helps
            logger.error("scheduled draft %s was not sent: %s", draft.id, exc)
            return {"status": "refused", "draft": draft.id, "error": str(exc)}
        logger.info("draft %s sent at its scheduled time as %s", draft.id, campaign_id)
        return {"status": "sent", "draft": draft.id, "campaign_id": campaign_id}

    def _resume(self, draft: Draft, time_left: Callable[[], float] | None) -> dict[str, Any]:
        if draft.kind is Kind.DIGEST:
            self._digests.start(draft_period(draft), time_left=time_left)
        else:
            self._approvals.send(draft, draft.updated_by)
        return {"status": "already sent", "draft": draft.id, "campaign_id": draft.campaign_id}
