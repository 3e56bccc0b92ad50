"""Staff sessions, kept on the server: the cookie holds only a random id, so a session can be
ended for good (sign-out, or an admin deleting it) and expires after 8 hours without use.

Items in the staff table: pk "session#<sha256 of the id>", sk "session". TTL removes expired
ones late, so expiry is checked here too. The id itself is never stored or logged.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable
from typing import Any

from mailer.aws.translate import aws_errors

from .identity import StaffMember

IDLE_LIMIT = 8 * 3600
TOUCH_EVERY = 300  # seconds: refresh last use at most this often (one write, not one per page)


def _key(session_id: str) -> dict[str, str]:
    digest = hashlib.sha256(session_id.encode()).hexdigest()
    return {"pk": f"session#{digest}", "sk": "session"}


class StaffSessions:
    """Start, find, refresh and end staff sessions."""

    def __init__(self, table: Any, clock: Callable[[], float] = time.time) -> None:
        self._table = table
        self._clock = clock

    def start(self, member: StaffMember, refresh_token: str) -> str:
        """A new session for a signed-in member; returns its id (for the cookie)."""
        session_id = secrets.token_urlsafe(32)
        now = int(self._clock())
        with aws_errors("starting a staff session"):
            self._table.put_item(
                Item={
                    **_key(session_id),
                    "subject": member.subject,
                    "email": member.email,
                    "groups": list(member.groups),
                    "refresh_token": refresh_token,
                    "last_seen": now,
                    "expires_at": now + IDLE_LIMIT,
                }
            )
        return session_id

    def member(self, session_id: str) -> StaffMember | None:
        """The member of a live session (and note its use); None if unknown or idle too long."""
        if not session_id or len(session_id) > 100:
            return None
        with aws_errors("reading a staff session"):
            item = self._table.get_item(Key=_key(session_id), ConsistentRead=True).get("Item")
        now = int(self._clock())
        if not item or int(item["last_seen"]) + IDLE_LIMIT <= now:
            return None
        if now - int(item["last_seen"]) >= TOUCH_EVERY:
            with aws_errors("refreshing a staff session"):
                self._table.update_item(
                    Key=_key(session_id),
                    UpdateExpression="SET last_seen = :now, expires_at = :expires",
                    ExpressionAttributeValues={":now": now, ":expires": now + IDLE_LIMIT},
                )
        return StaffMember(item["subject"], item["email"], tuple(item.get("groups", ())))

    def end(self, session_id: str) -> str:
        """End the session; returns its refresh token (to revoke), or "" if it had none."""
        with aws_errors("ending a staff session"):
            old = self._table.delete_item(Key=_key(session_id), ReturnValues="ALL_OLD")
        return str(old.get("Attributes", {}).get("refresh_token", ""))
