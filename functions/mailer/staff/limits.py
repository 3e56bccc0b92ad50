"""Sign-in limits that protect the member instead of locking them out.

Only failures count (a member who signs in ten times is not an attacker), at every step: a
wrong password and a wrong authenticator code alike. The hard limit keys on the account and the
client's network together (IPv6 by /64, as the public form does), so ten wrong passwords from
one network refuse that network only: the member, elsewhere, still gets in. Across networks an
account-wide brake slows every attempt on an account under attack (a delay, not a refusal, so
the right password still works), and a per-network limit stops one network trying many accounts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from mailer.subscribers.identity import client_network
from mailer.subscribers.ratelimit import RateLimiter

WINDOW = 900  # seconds
ACCOUNT_NETWORK_LIMIT = 10  # failures per account and network: enough for typos, not guessing
NETWORK_LIMIT = 30  # failures per network across accounts (password spraying)
ACCOUNT_BRAKE = 20  # failures per account from all networks before every attempt is slowed
BRAKE_SECONDS = 2.0


@dataclass(frozen=True)
class Verdict:
    """Whether an attempt may go ahead, and why not."""

    allowed: bool
    braked: bool = False


class SignInLimits:
    """Counts failed sign-in steps and says whether the next attempt may go ahead."""

    def __init__(
        self,
        limiter: RateLimiter,
        sleep: Callable[[float], None],
        brake_seconds: float = BRAKE_SECONDS,
    ) -> None:
        self._limiter = limiter
        self._sleep = sleep
        self._brake_seconds = brake_seconds

    def check(self, account: str, client_ip: str) -> Verdict:
        """Before an attempt: refuse a network that failed too often, slow a braked account."""
        account, network = _account(account), client_network(client_ip)
        limiter = self._limiter
        if (
            limiter.count(_pair(account, network), WINDOW) >= ACCOUNT_NETWORK_LIMIT
            or limiter.count(_network(network), WINDOW) >= NETWORK_LIMIT
        ):
            return Verdict(allowed=False)
        braked = limiter.count(_account_bucket(account), WINDOW) >= ACCOUNT_BRAKE
        if braked:
            # Every attempt on an account under attack costs the attacker this much; the
            # member from their own network waits too, once, and is let in.
            self._sleep(self._brake_seconds)
        return Verdict(allowed=True, braked=braked)

    def failed(self, account: str, client_ip: str) -> bool:
        """Count a failure; True when it locks this account on this network out (once)."""
        account, network = _account(account), client_network(client_ip)
        self._limiter.hit(_account_bucket(account), 10**9, WINDOW)
        self._limiter.hit(_network(network), 10**9, WINDOW)
        self._limiter.hit(_pair(account, network), 10**9, WINDOW)
        return self._limiter.count(_pair(account, network), WINDOW) == ACCOUNT_NETWORK_LIMIT


def _account(email: str) -> str:
    return email.strip().lower()


def _pair(account: str, network: str) -> str:
    return f"staff-sign-in:{account}|{network}"


def _network(network: str) -> str:
    return f"staff-sign-in-network:{network}"


def _account_bucket(account: str) -> str:
    return f"staff-sign-in-account:{account}"
