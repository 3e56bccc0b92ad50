"""Sessions that end when the account does: before trusting a session whose last word from
Cognito is 5 minutes old, or before any sender action, ask Cognito again (REFRESH_TOKEN_AUTH
with the session's refresh token) and take the member's groups and email from the fresh ID
token. A member disabled, deleted or globally signed out gets no token, and the session ends;
a member removed from a group loses that group's powers at once.

If Cognito cannot be reached the request fails (a domain error, the page says try again):
a console that kept trusting a session it cannot check would defeat the point.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Protocol

from .audit import AuditLog
from .identity import InvalidTokenError, StaffMember
from .sessions import Session, StaffSessions
from .signin import SignInError

logger = logging.getLogger(__name__)


class _Refresher(Protocol):
    def refresh(self, refresh_token: str) -> str: ...


class _Verifier(Protocol):
    def verify(self, id_token: str) -> StaffMember: ...


class SessionGuard:
    """The member a session cookie stands for, as Cognito sees them now."""

    def __init__(
        self,
        sessions: StaffSessions,
        refresher: _Refresher,
        verifier: _Verifier,
        audit: AuditLog,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._sessions = sessions
        self._refresher = refresher
        self._verifier = verifier
        self._audit = audit
        self._clock = clock

    def member(self, session_id: str, *, sender_action: bool = False) -> StaffMember | None:
        """The session's member (re-validated when due, or always for a sender action); None
        when there is no live session or Cognito no longer vouches for it (it is then ended)."""
        session = self._sessions.find(session_id)
        if session is None:
            return None
        if not (sender_action or session.due(self._clock())):
            return session.member
        fresh = self._revalidate(session)
        return fresh.member if fresh else None

    def _revalidate(self, session: Session) -> Session | None:
        try:
            member = self._verifier.verify(self._refresher.refresh(session.refresh_token))
        except (SignInError, InvalidTokenError) as exc:
            self._sessions.end(session.session_id)
            self._audit.record(session.member, "session ended by Cognito", {"reason": str(exc)})
            return None
        if member.subject != session.member.subject:
            # A refresh token that names someone else is not this session's: end it.
            logger.error("a session's refresh token named another member")
            self._sessions.end(session.session_id)
            return None
        return self._sessions.validated(session, member)
