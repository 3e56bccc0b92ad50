"""Staff sessions, kept on the server: the cookie holds only a random id, so a session can be
ended for good (sign-out, an admin ending a member's sessions, or Cognito refusing to refresh it).

A session ends after 8 hours without use and 12 hours after sign-in, whatever its use. It is
re-validated against Cognito (revalidation.py) at least every 5 minutes and before every
sender action, and carries what the last re-validation said: the member's groups and email.

Items in the staff table: pk "session#<sha256 of the id>", sk "session", with the member's
`subject` (Cognito's sub), on which the sparse index by-subject finds every session of one
member. The refresh token is stored sealed under the id (sealed.py), so only the browser holding
the cookie can have it used. TTL removes expired items late, so expiry is checked here too.
"""

from __future__ import annotations

import contextlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from boto3.dynamodb.conditions import Key

from mailer.aws.table import Table
from mailer.errors import ConflictError

from .identity import StaffMember
from .sealed import seal, storage_key, unseal

IDLE_LIMIT = 8 * 3600
ABSOLUTE_LIMIT = 12 * 3600  # a stolen cookie is worth a working day at most
TOUCH_EVERY = 300  # seconds: refresh last use at most this often (one write, not one per page)
REVALIDATE_EVERY = 300  # seconds: a member Cognito no longer accepts loses their powers by then
SUBJECT_INDEX = "by-subject"
_REFRESH = "refresh-token"


def _key(session_id: str) -> dict[str, str]:
    return {"pk": f"session#{storage_key(session_id)}", "sk": "session"}


@dataclass(frozen=True)
class Session:
    """A live session: who, since when, when Cognito last vouched for them."""

    session_id: str
    member: StaffMember
    started_at: int
    validated_at: int
    refresh_token: str

    def due(self, now: float) -> bool:
        """True when Cognito must be asked again before trusting this session."""
        return now - self.validated_at >= REVALIDATE_EVERY


class StaffSessions:
    """Start, find, re-validate and end staff sessions."""

    def __init__(self, table: Table, clock: Callable[[], float] = time.time) -> None:
        self._table = table
        self._clock = clock

    def start(self, member: StaffMember, refresh_token: str) -> str:
        """A new session for a signed-in member; returns its id (for the cookie)."""
        session_id = secrets.token_urlsafe(32)
        now = int(self._clock())
        self._table.put(
            {
                **_key(session_id),
                "subject": member.subject,
                "email": member.email,
                "groups": list(member.groups),
                "refresh_token": seal(session_id, _REFRESH, refresh_token),
                "started_at": now,
                "validated_at": now,
                "last_seen": now,
                "expires_at": min(now + IDLE_LIMIT, now + ABSOLUTE_LIMIT),
            },
            action="starting a staff session",
        )
        return session_id

    def find(self, session_id: str) -> Session | None:
        """The live session of a cookie (and note its use); None if unknown or expired."""
        if not session_id or len(session_id) > 100:
            return None
        item = self._table.get(_key(session_id), action="reading a staff session", consistent=True)
        now = int(self._clock())
        if not item:
            return None
        last_seen, started_at = int(item["last_seen"]), int(item.get("started_at", 0))
        if last_seen + IDLE_LIMIT <= now or started_at + ABSOLUTE_LIMIT <= now:
            return None
        if now - last_seen >= TOUCH_EVERY:
            expires = min(now + IDLE_LIMIT, started_at + ABSOLUTE_LIMIT)
            self._update(
                session_id,
                "SET last_seen = :now, expires_at = :expires",
                {":now": now, ":expires": expires},
            )
        refresh_token = unseal(session_id, _REFRESH, str(item.get("refresh_token", ""))) or ""
        member = StaffMember(item["subject"], item["email"], tuple(item.get("groups", ())))
        return Session(session_id, member, started_at, int(item["validated_at"]), refresh_token)

    def member(self, session_id: str) -> StaffMember | None:
        """The member of a live session; None if unknown or expired (no re-validation)."""
        found = self.find(session_id)
        return found.member if found else None

    def validated(self, session: Session, member: StaffMember) -> Session:
        """Record that Cognito vouched for the session just now, with the member it named."""
        now = int(self._clock())
        self._update(
            session.session_id,
            "SET validated_at = :now, email = :email, #groups = :groups",
            {":now": now, ":email": member.email, ":groups": list(member.groups)},
            names={"#groups": "groups"},
        )
        return Session(session.session_id, member, session.started_at, now, session.refresh_token)

    def end(self, session_id: str) -> str:
        """End the session; returns its refresh token (to revoke), or "" if it had none."""
        old = self._table.delete(
            _key(session_id), action="ending a staff session", returning_old=True
        )
        sealed = str(old.get("refresh_token", ""))
        return (unseal(session_id, _REFRESH, sealed) or "") if sealed else ""

    def end_all(self, subject: str) -> int:
        """End every session of one member (by Cognito's sub); returns how many there were."""
        ended = 0
        for item in self._table.query(
            action="finding a member's sessions",
            IndexName=SUBJECT_INDEX,
            KeyConditionExpression=Key("subject").eq(subject),
        ):
            key = {"pk": item["pk"], "sk": item["sk"]}
            self._table.delete(key, action="ending a member's session")
            ended += 1
        return ended

    def _update(
        self,
        session_id: str,
        expression: str,
        values: dict[str, Any],
        names: dict[str, str] | None = None,
    ) -> None:
        # Only a session that still exists: an end racing this write must stay ended.
        with contextlib.suppress(ConflictError):
            self._table.update(
                _key(session_id),
                action="refreshing a staff session",
                expression=expression,
                condition="attribute_exists(pk)",
                names=names,
                values=values,
            )
