"""Staff sign-in with the Cognito user pool (moto's, and botocore's Stubber for the MFA answers
moto cannot give), server-side sessions, roles from groups, sign-out and the audit log."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
import requests
from botocore.stub import Stubber

from mailer.container import Container
from mailer.staff.identity import InvalidTokenError, TokenVerifier
from mailer.staff.sessions import IDLE_LIMIT
from tests.support.digest import FakeClock
from web import create_app

SENDER, EDITOR = "sender@charity.example.org", "editor@charity.example.org"
TEMPORARY, CHOSEN = "Temporary-Pass-1", "Chosen-Password-42"
STAFF_ROUTES = [("GET", "/staff/"), ("GET", "/staff/audit"), ("POST", "/staff/sign-out")]


@pytest.fixture
def clock() -> FakeClock:
    """Now, not the digest tests' December: moto signs its tokens with the real time."""
    return FakeClock(time.time())


@pytest.fixture
def staff(container: Container, clock: FakeClock) -> Container:
    """The container with a user pool: a sender (password set) and an editor (first sign-in)."""
    cognito = container.clients.cognito
    pool = cognito.create_user_pool(PoolName="staff", UsernameAttributes=["email"])["UserPool"]
    client = cognito.create_user_pool_client(
        UserPoolId=pool["Id"],
        ClientName="console",
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]
    cognito.create_group(UserPoolId=pool["Id"], GroupName="senders")
    for email in (SENDER, EDITOR):
        cognito.admin_create_user(
            UserPoolId=pool["Id"],
            Username=email,
            TemporaryPassword=TEMPORARY,
            MessageAction="SUPPRESS",
        )
    cognito.admin_set_user_password(
        UserPoolId=pool["Id"], Username=SENDER, Password=CHOSEN, Permanent=True
    )
    cognito.admin_add_user_to_group(UserPoolId=pool["Id"], Username=SENDER, GroupName="senders")
    settings = replace(
        container.settings, staff_user_pool_id=pool["Id"], staff_client_id=client["ClientId"]
    )
    built = Container(settings, container.clients, clock=clock)
    # moto serves the pool's JWKS to `requests` in process (the deployed code fetches it itself).
    jwks_url = f"https://cognito-idp.eu-west-2.amazonaws.com/{pool['Id']}/.well-known/jwks.json"
    built.token_verifier = TokenVerifier(
        issuer=f"https://cognito-idp.eu-west-2.amazonaws.com/{pool['Id']}",
        client_id=client["ClientId"],
        fetch_jwks=lambda: requests.get(jwks_url, timeout=5).json(),
        clock=clock,
    )
    return built


@pytest.fixture
def browser(staff: Container) -> Any:
    """A member of staff's browser (Flask's test client, https)."""
    app = create_app(staff)
    app.config["TESTING"] = True
    return app.test_client()


def _token(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)[1]


def sign_in(client: Any, email: str, password: str) -> Any:
    page = client.get("/staff/sign-in").get_data(as_text=True)
    return client.post(
        "/staff/sign-in", data={"csrf_token": _token(page), "email": email, "password": password}
    )


def signed_in_as_sender(client: Any) -> Any:
    response = sign_in(client, SENDER, CHOSEN)
    assert response.status_code == 303 and response.headers["Location"].endswith("/staff/")
    return response


@pytest.mark.parametrize(("method", "path"), STAFF_ROUTES)
def test_every_staff_route_refuses_an_anonymous_request(browser, method: str, path: str) -> None:
    response = browser.open(path, method=method)
    if method == "GET":
        assert response.status_code == 303 and "/staff/sign-in" in response.headers["Location"]
    else:
        assert 400 <= response.status_code < 500


def test_a_forged_session_cookie_is_refused(browser) -> None:
    browser.set_cookie("staff_session", "forged-" + "x" * 40, path="/staff")
    response = browser.get("/staff/")
    assert response.status_code == 303 and "/staff/sign-in" in response.headers["Location"]


def test_signing_in_starts_a_strict_httponly_session_and_is_audited(browser, staff) -> None:
    response = signed_in_as_sender(browser)
    cookie = response.headers["Set-Cookie"]
    assert "staff_session=" in cookie and "HttpOnly" in cookie and "Secure" in cookie
    assert "SameSite=Strict" in cookie and "Path=/staff" in cookie
    page = browser.get("/staff/").get_data(as_text=True)
    assert f"Signed in as {SENDER} (sender)" in page
    [entry] = staff.audit_log.recent()
    assert (entry.actor, entry.action) == (SENDER, "signed in")


def test_first_sign_in_asks_for_a_new_password_then_signs_in(browser, staff) -> None:
    response = sign_in(browser, EDITOR, TEMPORARY)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/staff/sign-in/new-password")
    page = browser.get("/staff/sign-in/new-password").get_data(as_text=True)
    assert "Choose your password" in page
    too_short = browser.post(
        "/staff/sign-in/new-password", data={"csrf_token": _token(page), "password": "short"}
    )
    assert too_short.status_code == 400
    assert "at least 12 characters" in too_short.get_data(as_text=True)
    done = browser.post(
        "/staff/sign-in/new-password", data={"csrf_token": _token(page), "password": CHOSEN}
    )
    assert done.status_code == 303 and done.headers["Location"].endswith("/staff/")
    page = browser.get("/staff/").get_data(as_text=True)
    assert f"Signed in as {EDITOR}" in page and "(sender)" not in page


def test_a_wrong_password_and_an_unknown_account_get_the_same_answer(browser, staff) -> None:
    wrong = sign_in(browser, SENDER, "Not-The-Password-1")
    unknown = sign_in(browser, "nobody@charity.example.org", "Not-The-Password-1")
    assert wrong.status_code == unknown.status_code == 400
    message = "That address and password do not match an account."
    assert message in wrong.get_data(as_text=True) and message in unknown.get_data(as_text=True)
    assert "staff_session" not in (wrong.headers.get("Set-Cookie") or "")
    assert [e.action for e in staff.audit_log.recent()] == ["sign-in refused"] * 2


def test_failed_sign_ins_are_slowed_per_account(browser) -> None:
    for _ in range(10):
        sign_in(browser, SENDER, "Not-The-Password-1")
    blocked = sign_in(browser, SENDER, CHOSEN)  # even the right password, for 15 minutes
    assert blocked.status_code == 400 and "Too many attempts" in blocked.get_data(as_text=True)


def test_a_session_ends_after_eight_hours_without_use(browser, clock: FakeClock) -> None:
    signed_in_as_sender(browser)
    clock.advance(IDLE_LIMIT - 60)
    assert browser.get("/staff/").status_code == 200  # in use: the idle time starts again
    clock.advance(IDLE_LIMIT - 60)
    assert browser.get("/staff/").status_code == 200
    clock.advance(IDLE_LIMIT + 1)
    assert browser.get("/staff/").status_code == 303


def test_sign_out_ends_the_session_and_revokes_the_refresh_token(
    browser, staff, clock: FakeClock
) -> None:
    signed_in_as_sender(browser)
    page = browser.get("/staff/").get_data(as_text=True)
    clock.advance(1)  # the audit log orders by the second
    with Stubber(staff.clients.cognito) as stub:  # moto has no RevokeToken
        stub.add_response("revoke_token", {}, {"Token": stub_any(), "ClientId": stub_any()})
        out = browser.post("/staff/sign-out", data={"csrf_token": _token(page)})
        stub.assert_no_pending_responses()
    assert out.status_code == 303
    assert browser.get("/staff/").status_code == 303
    assert [e.action for e in staff.audit_log.recent()][:1] == ["signed out"]


def test_sign_out_without_its_csrf_token_changes_nothing(browser) -> None:
    signed_in_as_sender(browser)
    assert browser.post("/staff/sign-out").status_code == 400
    assert browser.get("/staff/").status_code == 200


def stub_any() -> Any:
    from botocore.stub import ANY

    return ANY


# --- MFA, answered by botocore's Stubber (moto's TOTP accepts any code) -----------------------


@pytest.fixture
def stubbed(staff: Container) -> Iterator[tuple[Any, Stubber]]:
    """The sign-in steps with Cognito's answers scripted."""
    with Stubber(staff.clients.cognito) as stub:
        app = create_app(staff)
        app.config["TESTING"] = True
        yield app.test_client(), stub


def _challenge(name: str) -> dict[str, Any]:
    return {"ChallengeName": name, "Session": "s" * 40, "ChallengeParameters": {}}


def test_mfa_set_up_shows_a_qr_code_and_refuses_a_wrong_code(stubbed) -> None:
    client, stub = stubbed
    stub.add_response("initiate_auth", _challenge("MFA_SETUP"))
    stub.add_response(
        "associate_software_token", {"SecretCode": "JBSWY3DPEHPK3PXP", "Session": "t" * 40}
    )
    stub.add_client_error("verify_software_token", "CodeMismatchException", "Invalid code received")
    response = sign_in(client, SENDER, CHOSEN)
    assert response.headers["Location"].endswith("/staff/sign-in/authenticator")
    page = client.get("/staff/sign-in/authenticator").get_data(as_text=True)
    assert "<svg" in page and "JBSWY3DPEHPK3PXP" in page
    wrong = client.post(
        "/staff/sign-in/authenticator", data={"csrf_token": _token(page), "code": "000000"}
    )
    assert wrong.status_code == 400 and "did not match" in wrong.get_data(as_text=True)
    assert client.get("/staff/").status_code == 303  # not signed in


def test_a_wrong_authenticator_code_is_refused_and_a_right_one_signs_in(stubbed, staff) -> None:
    client, stub = stubbed
    real = staff.clients.cognito
    stub.add_response("initiate_auth", _challenge("SOFTWARE_TOKEN_MFA"))
    stub.add_client_error("respond_to_auth_challenge", "CodeMismatchException", "Invalid code")
    response = sign_in(client, SENDER, CHOSEN)
    assert response.headers["Location"].endswith("/staff/sign-in/code")
    page = client.get("/staff/sign-in/code").get_data(as_text=True)
    wrong = client.post("/staff/sign-in/code", data={"csrf_token": _token(page), "code": "123456"})
    assert wrong.status_code == 400 and "did not match" in wrong.get_data(as_text=True)
    not_digits = client.post(
        "/staff/sign-in/code", data={"csrf_token": _token(page), "code": "12ab"}
    )
    assert "six digits" in not_digits.get_data(as_text=True)
    stub.deactivate()  # the right code: a real token from moto's pool
    tokens = real.initiate_auth(
        ClientId=staff.settings.staff_client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": SENDER, "PASSWORD": CHOSEN},
    )["AuthenticationResult"]
    stub.activate()
    stub.add_response(
        "respond_to_auth_challenge",
        {"AuthenticationResult": {"IdToken": tokens["IdToken"], "RefreshToken": "r" * 40}},
    )
    right = client.post("/staff/sign-in/code", data={"csrf_token": _token(page), "code": "654321"})
    assert right.status_code == 303 and right.headers["Location"].endswith("/staff/")


# --- the token itself --------------------------------------------------------------------------


def test_tokens_are_verified_not_trusted(staff: Container, clock: FakeClock) -> None:
    pool, client_id = staff.settings.staff_user_pool_id, staff.settings.staff_client_id
    issuer = f"https://cognito-idp.eu-west-2.amazonaws.com/{pool}"
    jwks = requests.get(f"{issuer}/.well-known/jwks.json", timeout=5).json()

    def verifier(client: str = client_id) -> TokenVerifier:
        return TokenVerifier(issuer=issuer, client_id=client, fetch_jwks=lambda: jwks, clock=clock)

    tokens = staff.clients.cognito.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": SENDER, "PASSWORD": CHOSEN},
    )["AuthenticationResult"]
    member = verifier().verify(tokens["IdToken"])
    assert member.email == SENDER and member.is_sender
    header, payload, signature = tokens["IdToken"].split(".")
    with pytest.raises(InvalidTokenError, match="signature"):  # a changed payload
        verifier().verify(".".join([header, payload[:-4] + "AAAA", signature]))
    with pytest.raises(InvalidTokenError):
        verifier().verify(tokens["AccessToken"])
    with pytest.raises(InvalidTokenError, match="another client"):
        verifier("someone-else").verify(tokens["IdToken"])
    clock.advance(2 * 3600)
    with pytest.raises(InvalidTokenError, match="expired"):
        verifier().verify(tokens["IdToken"])
