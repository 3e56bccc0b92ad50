"""Campaign staff for tests: a user pool on moto with a sender and an editor, and signing in
through the console as a person would."""

from __future__ import annotations

import re
import time
from dataclasses import replace
from typing import Any

import requests

from mailer.container import Container
from mailer.local.staff import add_member, provision_staff
from mailer.staff.identity import TokenVerifier
from tests.support.digest import FakeClock

SENDER, EDITOR = "sender@charity.example.org", "editor@charity.example.org"
TEMPORARY, CHOSEN = "Temporary-Pass-1", "Chosen-Password-42"


def staff_container(container: Container, clock: FakeClock) -> Container:
    """The container with a user pool: a sender (password set) and an editor (first sign-in)."""
    cognito = container.clients.cognito
    # the local stack's own pool; the sender is in data-protection too, as the local staff are
    local = provision_staff(cognito, SENDER, TEMPORARY, ("senders", "data-protection"))
    pool, client = {"Id": local.user_pool_id}, {"ClientId": local.client_id}
    cognito.admin_set_user_password(
        UserPoolId=pool["Id"], Username=SENDER, Password=CHOSEN, Permanent=True
    )
    add_member(cognito, pool["Id"], EDITOR, TEMPORARY)
    settings = replace(
        container.settings, staff_user_pool_id=pool["Id"], staff_client_id=client["ClientId"]
    )
    built = Container(settings, container.clients, clock=clock, monotonic=clock, sleep=clock.sleep)
    # moto serves the pool's JWKS to `requests` in process (the deployed code fetches it itself).
    jwks_url = f"https://cognito-idp.eu-west-2.amazonaws.com/{pool['Id']}/.well-known/jwks.json"
    built.token_verifier = TokenVerifier(
        issuer=f"https://cognito-idp.eu-west-2.amazonaws.com/{pool['Id']}",
        client_id=client["ClientId"],
        fetch_jwks=lambda: requests.get(jwks_url, timeout=5).json(),
        # moto signs tokens with the real time, also when a session re-validates hours later
        # on the fake clock; the verifier's own expiry check has its test with the fake clock.
        clock=time.time,
    )
    return built


def form_token(html: str) -> str:
    """The CSRF token of the first form on a page."""
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)[1]


def submit(client: Any, path: str, page: str, **fields: Any) -> Any:
    """Post a form from `page` (its CSRF token included) to `path`."""
    return client.post(path, data={"csrf_token": form_token(page), **fields})


def sign_in(client: Any, email: str, password: str) -> Any:
    """Fill in and submit the sign-in form."""
    page = client.get("/staff/sign-in").get_data(as_text=True)
    return submit(client, "/staff/sign-in", page, email=email, password=password)


def signed_in_as_sender(client: Any) -> Any:
    """Sign in as the member of the senders group."""
    response = sign_in(client, SENDER, CHOSEN)
    assert response.status_code == 303 and response.headers["Location"].endswith("/staff/")
    return response


def now_clock() -> FakeClock:
    """Now, not the digest tests' December: moto signs its tokens with the real time."""
    return FakeClock(time.time())
