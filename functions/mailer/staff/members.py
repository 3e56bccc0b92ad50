"""The user pool's members, for an admin removing one: find a member, list them, and end every
session they have, here (the staff table) and at Cognito (AdminUserGlobalSignOut revokes their
refresh tokens, so a session elsewhere fails its next re-validation too)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from mailer.errors import MailerError, StoreError, ThrottlingError

from .audit import AuditLog
from .identity import StaffMember
from .sessions import StaffSessions


class NoSuchMemberError(MailerError):
    """No member of the user pool has that address or id."""


@dataclass(frozen=True)
class Member:
    """A member of the user pool, as an admin sees them."""

    subject: str
    email: str
    enabled: bool = True


class StaffMembers:
    """Members of the staff user pool, and ending their sessions."""

    def __init__(
        self, cognito: Any, user_pool_id: str, sessions: StaffSessions, audit: AuditLog
    ) -> None:
        self._cognito = cognito
        self._pool = user_pool_id
        self._sessions = sessions
        self._audit = audit

    def find(self, username: str) -> Member:
        """The member with this address (or sub); NoSuchMemberError if there is none."""
        with _cognito("finding a member"):
            user = self._cognito.admin_get_user(UserPoolId=self._pool, Username=username)
        return _member(user.get("UserAttributes", []), user.get("Enabled", True))

    def list(self) -> list[Member]:
        """Every member of the pool, by address."""
        members: list[Member] = []
        kwargs: dict[str, Any] = {"UserPoolId": self._pool}
        while True:
            with _cognito("listing members"):
                page = self._cognito.list_users(**kwargs)
            members += [
                _member(u.get("Attributes", []), u.get("Enabled", True)) for u in page["Users"]
            ]
            if not page.get("PaginationToken"):
                return sorted(members, key=lambda m: m.email)
            kwargs["PaginationToken"] = page["PaginationToken"]

    def end_sessions(self, username: str, by: StaffMember | str) -> int:
        """Sign a member out everywhere and end their console sessions; returns how many ended."""
        member = self.find(username)
        with _cognito("signing a member out everywhere"):
            self._cognito.admin_user_global_sign_out(UserPoolId=self._pool, Username=username)
        ended = self._sessions.end_all(member.subject)
        self._audit.record(
            by, "ended a member's sessions", {"member": member.subject, "sessions": ended}
        )
        return ended


def _member(attributes: list[dict[str, str]], enabled: bool) -> Member:
    values = {a["Name"]: a["Value"] for a in attributes}
    return Member(values.get("sub", ""), values.get("email", ""), bool(enabled))


@contextmanager
def _cognito(action: str) -> Iterator[None]:
    try:
        yield
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code == "UserNotFoundException":
            raise NoSuchMemberError("There is no member with that address.") from None
        if code in ("TooManyRequestsException", "LimitExceededException"):
            raise ThrottlingError(f"{action}: Cognito throttled the call") from exc
        raise StoreError(f"{action} failed: {code}") from exc
    except BotoCoreError as exc:
        raise StoreError(f"{action} failed: {exc}") from exc
