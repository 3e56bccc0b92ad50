"""Signing staff in with the Cognito user pool (USER_PASSWORD_AUTH, server side), through
every challenge an admin-created account meets: a new password on first sign-in, setting up
an authenticator app (TOTP), then a code from it at every sign-in."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from mailer.errors import MailerError, StoreError, ThrottlingError

logger = logging.getLogger(__name__)

NEW_PASSWORD = "NEW_PASSWORD_REQUIRED"  # noqa: S105 (a challenge name, not a password)
MFA_SETUP = "MFA_SETUP"
MFA_CODE = "SOFTWARE_TOKEN_MFA"
CHALLENGES = (NEW_PASSWORD, MFA_SETUP, MFA_CODE)


class SignInError(MailerError):
    """A sign-in step Cognito refused, in words fit to show the person."""


@dataclass(frozen=True)
class Challenge:
    """What Cognito asks for next, and the session that carries the sign-in to that step."""

    name: str
    session: str
    username: str
    secret: str = ""  # MFA_SETUP: the key to put in an authenticator app


@dataclass(frozen=True)
class Tokens:
    """A completed sign-in."""

    id_token: str
    refresh_token: str


class CognitoSignIn:
    """The sign-in steps; each returns the next Challenge, or Tokens when signed in."""

    def __init__(self, client: Any, client_id: str) -> None:
        self._client = client
        self._client_id = client_id

    def password(self, username: str, password: str) -> Challenge | Tokens:
        """First step: the address and password."""
        with _cognito("signing in"):
            answer = self._client.initiate_auth(
                ClientId=self._client_id,
                AuthFlow="USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": username, "PASSWORD": password},
            )
        return self._next(answer, username)

    def new_password(self, challenge: Challenge, password: str) -> Challenge | Tokens:
        """Answer NEW_PASSWORD_REQUIRED (an admin-created account's first sign-in)."""
        return self._respond(challenge, NEW_PASSWORD, {"NEW_PASSWORD": password})

    def start_mfa_setup(self, challenge: Challenge) -> Challenge:
        """For MFA_SETUP: ask Cognito for an authenticator key to show the person."""
        with _cognito("setting up the authenticator"):
            answer = self._client.associate_software_token(Session=challenge.session)
        return Challenge(
            MFA_SETUP,
            answer.get("Session", challenge.session),
            challenge.username,
            answer["SecretCode"],
        )

    def finish_mfa_setup(self, challenge: Challenge, code: str) -> Challenge | Tokens:
        """Check the app's first code, then complete the sign-in."""
        with _cognito("checking the authenticator code"):
            answer = self._client.verify_software_token(
                Session=challenge.session, UserCode=code, FriendlyDeviceName="staff console"
            )
        if answer.get("Status") != "SUCCESS":
            raise SignInError("That code did not match. Check the app's clock and try again.")
        session = answer.get("Session", challenge.session)
        return self._respond(Challenge(MFA_SETUP, session, challenge.username), MFA_SETUP, {})

    def mfa_code(self, challenge: Challenge, code: str) -> Challenge | Tokens:
        """Answer SOFTWARE_TOKEN_MFA with the app's current code."""
        return self._respond(challenge, MFA_CODE, {"SOFTWARE_TOKEN_MFA_CODE": code})

    def refresh(self, refresh_token: str) -> str:
        """A fresh ID token for a session (SignInError if Cognito no longer honours the refresh
        token: the member was disabled, deleted or globally signed out, or it expired)."""
        if not refresh_token:
            raise SignInError("This session has no refresh token.")
        with _cognito("re-validating a session"):
            answer = self._client.initiate_auth(
                ClientId=self._client_id,
                AuthFlow="REFRESH_TOKEN_AUTH",
                AuthParameters={"REFRESH_TOKEN": refresh_token},
            )
        return str(answer["AuthenticationResult"]["IdToken"])

    def revoke(self, refresh_token: str) -> None:
        """Sign out: revoke the refresh token, so no new ID token can be had from it."""
        with _cognito("signing out"):
            self._client.revoke_token(Token=refresh_token, ClientId=self._client_id)

    def _respond(
        self, challenge: Challenge, name: str, responses: Mapping[str, str]
    ) -> Challenge | Tokens:
        with _cognito("signing in"):
            answer = self._client.respond_to_auth_challenge(
                ClientId=self._client_id,
                ChallengeName=name,
                Session=challenge.session,
                ChallengeResponses={"USERNAME": challenge.username, **responses},
            )
        return self._next(answer, challenge.username)

    @staticmethod
    def _next(answer: Mapping[str, Any], username: str) -> Challenge | Tokens:
        name = answer.get("ChallengeName")
        if name:
            if name not in CHALLENGES:
                logger.error("unsupported Cognito challenge %s", name)
                raise SignInError("This account needs a sign-in step the console cannot do.")
            parameters = answer.get("ChallengeParameters") or {}
            # Cognito names the user by its id from here on; later steps must use that.
            user = parameters.get("USER_ID_FOR_SRP") or username
            return Challenge(name, answer["Session"], user)
        result = answer["AuthenticationResult"]
        return Tokens(result["IdToken"], result.get("RefreshToken", ""))


# Cognito's refusals, in words for the person at the sign-in page. A wrong address and a wrong
# password read the same, so the page never tells which addresses have accounts.
_REFUSALS = {
    "NotAuthorizedException": "That address and password do not match an account.",
    "UserNotFoundException": "That address and password do not match an account.",
    "CodeMismatchException": "That code did not match. Check the app's clock and try again.",
    "EnableSoftwareTokenMFAException": "That code did not match. Try the next one.",
    "ExpiredCodeException": "That code has expired. Use the next one the app shows.",
    "InvalidPasswordException": "",  # Cognito's own message names the password rule missed
    "PasswordResetRequiredException": "This account's password must be reset: ask an admin.",
    "UserNotConfirmedException": "This account is not ready yet: ask an admin.",
}


@contextmanager
def _cognito(action: str) -> Iterator[None]:
    """Cognito's errors as SignInError (for the person) or domain errors (for the logs)."""
    try:
        yield
    except ClientError as exc:
        error = exc.response.get("Error", {})
        code = error.get("Code", "")
        if code in _REFUSALS:
            raise SignInError(_REFUSALS[code] or error.get("Message", "")) from None
        if code in ("TooManyRequestsException", "LimitExceededException"):
            raise ThrottlingError(f"{action}: Cognito throttled the call") from exc
        if code == "NotAuthorizedException" or "Session" in error.get("Message", ""):
            raise SignInError("That sign-in took too long. Please start again.") from None
        raise StoreError(f"{action} failed: {code}") from exc
    except BotoCoreError as exc:
        raise StoreError(f"{action} failed: {exc}") from exc
