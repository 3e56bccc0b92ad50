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

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from boto3.dynamodb.conditions import Key

from mailer.aws.translate import aws_errors
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
                    "refresh_token": seal(session_id, _REFRESH, refresh_token),
                    "started_at": now,
                    "validated_at": now,
                    "last_seen": now,
                    "expires_at": min(now + IDLE_LIMIT, now + ABSOLUTE_LIMIT),
                }
            )
        return session_id

    def find(self, session_id: str) -> Session | None:
        """The live session of a cookie (and note its use); None if unknown or expired."""
        if not session_id or len(session_id) > 100:
            return None
        with aws_errors("reading a staff session"):
            item = self._table.get_item(Key=_key(session_id), ConsistentRead=True).get("Item")
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
        with aws_errors("ending a staff session"):
            old = self._table.delete_item(Key=_key(session_id), ReturnValues="ALL_OLD")
        sealed = str(old.get("Attributes", {}).get("refresh_token", ""))
        return (unseal(session_id, _REFRESH, sealed) or "") if sealed else ""

    def end_all(self, subject: str) -> int:
        """End every session of one member (by Cognito's sub); returns how many there were."""
        ended = 0
        kwargs: dict[str, Any] = {
            "IndexName": SUBJECT_INDEX,
            "KeyConditionExpression": Key("subject").eq(subject),
        }
        while True:
            with aws_errors("finding a member's sessions"):
                page = self._table.query(**kwargs)
            for item in page["Items"]:
                with aws_errors("ending a member's session"):
                    self._table.delete_item(Key={"pk": item["pk"], "sk": item["sk"]})
                ended += 1
            if "LastEvaluatedKey" not in page:
                return ended
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _update(
        self,
        session_id: str,
        expression: str,
        values: dict[str, Any],
        names: dict[str, str] | None = None,
    ) -> None:
        # Only a session that still exists: an end racing this write must stay ended.
        extra: dict[str, Any] = {"ExpressionAttributeNames": names} if names else {}
        try:
            with aws_errors("refreshing a staff session"):
                self._table.update_item(
                    Key=_key(session_id),
                    UpdateExpression=expression,
                    ConditionExpression="attribute_exists(pk)",
                    ExpressionAttributeValues=values,
                    **extra,
                )
        except ConflictError:
            pass
