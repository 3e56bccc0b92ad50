"""Sign-ins in progress, kept on the server: between Cognito's challenges the browser holds only
a random id (in Flask's session cookie); Cognito's session, the TOTP seed being set up and the
`next=` target live in the staff table, sealed under that id (sealed.py), for a few minutes.

Items: pk "challenge#<sha256 of the id>", sk "challenge". TTL removes them late, so expiry is
checked here too. Each step reads the challenge and must find its own name in it.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

from mailer.aws.table import Table

from .sealed import seal, storage_key, unseal
from .signin import Challenge

LIFETIME = 300  # seconds: Cognito's own challenge session lasts 3 minutes; a little more
_LABEL = "challenge"


def _key(challenge_id: str) -> dict[str, str]:
    return {"pk": f"challenge#{storage_key(challenge_id)}", "sk": "challenge"}


@dataclass(frozen=True)
class Pending:
    """A sign-in in progress: Cognito's challenge, who is signing in, and where they go next."""

    challenge: Challenge
    email: str
    next_path: str = ""


class PendingChallenges:
    """Keep, find and drop sign-ins in progress."""

    def __init__(self, table: Table, clock: Callable[[], float] = time.time) -> None:
        self._table = table
        self._clock = clock

    def keep(self, pending: Pending, challenge_id: str = "") -> str:
        """Store a sign-in's next step (under a new id unless one is given); returns the id."""
        challenge_id = challenge_id or secrets.token_urlsafe(32)
        now = int(self._clock())
        body = json.dumps(
            {**asdict(pending.challenge), "email": pending.email, "next": pending.next_path}
        )
        self._table.put(
            {
                **_key(challenge_id),
                "sealed": seal(challenge_id, _LABEL, body),
                "expires_at": now + LIFETIME,
            },
            action="keeping a sign-in step",
        )
        return challenge_id

    def find(self, challenge_id: str, name: str) -> Pending | None:
        """The sign-in in progress under `challenge_id`, if it exists, has not expired, and is
        waiting for the challenge `name` (a step route accepts only its own challenge)."""
        if not challenge_id or len(challenge_id) > 100:
            return None
        item = self._table.get(_key(challenge_id), action="reading a sign-in step", consistent=True)
        if not item or int(item["expires_at"]) <= self._clock():
            return None
        body = unseal(challenge_id, _LABEL, str(item.get("sealed", "")))
        if body is None:
            return None
        data = json.loads(body)
        if data.get("name") != name:
            return None
        challenge = Challenge(data["name"], data["session"], data["username"], data["secret"])
        return Pending(challenge, data["email"], data.get("next", ""))

    def drop(self, challenge_id: str) -> None:
        """Forget a sign-in in progress (it finished, or must start again)."""
        if challenge_id and len(challenge_id) <= 100:
            self._table.delete(_key(challenge_id), action="dropping a sign-in step")
