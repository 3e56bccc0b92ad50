"""Staff sign-in with the Cognito user pool (moto's, and botocore's Stubber for the MFA answers
moto cannot give), server-side sessions, roles from groups, sign-out and the audit log."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from botocore.stub import Stubber

from mailer.container import Container
from mailer.local.staff import add_member
from mailer.staff.identity import InvalidTokenError, TokenVerifier
from mailer.staff.sessions import ABSOLUTE_LIMIT, IDLE_LIMIT
from tests.support.digest import FakeClock
from tests.support.staff import (
    CHOSEN,
    EDITOR,
    SENDER,
    TEMPORARY,
    form_token,
    sign_in,
    signed_in_as_sender,
)
from web import create_app

STAFF_ROUTES = [
    ("GET", "/staff/"),
    ("GET", "/staff/audit"),
    ("GET", "/staff/chart.svg"),
    ("POST", "/staff/sign-out"),
    ("GET", "/staff/resources/"),
    ("GET", "/staff/resources/new"),
    ("POST", "/staff/resources/new"),
    ("GET", "/staff/resources/safe-homes/edit"),
    ("POST", "/staff/resources/safe-homes/edit"),
    ("POST", "/staff/resources/safe-homes/retire"),
    ("GET", "/staff/announce/safe-homes"),
    ("POST", "/staff/announce/safe-homes"),
    ("GET", "/staff/drafts/"),
    ("GET", "/staff/drafts/0123456789"),
    ("POST", "/staff/drafts/0123456789"),
    ("GET", "/staff/drafts/0123456789/preview/individuals.html"),
    ("POST", "/staff/drafts/0123456789/test"),
    ("POST", "/staff/drafts/0123456789/approve"),
    ("POST", "/staff/drafts/0123456789/send"),
    ("POST", "/staff/drafts/0123456789/discard"),
    ("GET", "/staff/campaigns/"),
    ("GET", "/staff/digest"),
    ("GET", "/staff/digest/schools.html"),
    ("GET", "/staff/campaigns/announcement#safe-homes"),
]


@pytest.mark.parametrize(("method", "path"), STAFF_ROUTES)
def test_every_staff_route_refuses_an_anonymous_request(
    staff_browser, method: str, path: str
) -> None:
    response = staff_browser.open(path, method=method)
    if method == "GET":
        assert response.status_code == 303 and "/staff/sign-in" in response.headers["Location"]
    else:
        assert 400 <= response.status_code < 500


def test_a_forged_session_cookie_is_refused(staff_browser) -> None:
    staff_browser.set_cookie("staff_session", "forged-" + "x" * 40, path="/staff")
    response = staff_browser.get("/staff/")
    assert response.status_code == 303 and "/staff/sign-in" in response.headers["Location"]


def test_signing_in_starts_a_strict_httponly_session_and_is_audited(staff_browser, staff) -> None:
    response = signed_in_as_sender(staff_browser)
    cookie = response.headers["Set-Cookie"]
    assert "staff_session=" in cookie and "HttpOnly" in cookie and "Secure" in cookie
    assert "SameSite=Strict" in cookie and "Path=/staff" in cookie
    page = staff_browser.get("/staff/").get_data(as_text=True)
    assert f"Signed in as {SENDER} (sender, data protection)</span>" in page
    [entry] = staff.audit_log.recent()
    assert (entry.email, entry.action) == (SENDER, "signed in")
    assert entry.actor == staff.staff_members.find(SENDER).subject  # keyed on the sub


def test_first_sign_in_asks_for_a_new_password_then_signs_in(staff_browser, staff) -> None:
    response = sign_in(staff_browser, EDITOR, TEMPORARY)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/staff/sign-in/new-password")
    page = staff_browser.get("/staff/sign-in/new-password").get_data(as_text=True)
    assert "Choose your password" in page
    too_short = staff_browser.post(
        "/staff/sign-in/new-password", data={"csrf_token": form_token(page), "password": "short"}
    )
    assert too_short.status_code == 400
    assert "at least 12 characters" in too_short.get_data(as_text=True)
    done = staff_browser.post(
        "/staff/sign-in/new-password", data={"csrf_token": form_token(page), "password": CHOSEN}
    )
    assert done.status_code == 303 and done.headers["Location"].endswith("/staff/")
    page = staff_browser.get("/staff/").get_data(as_text=True)
    assert f"Signed in as {EDITOR}</span>" in page  # in no group: no role to name


def test_the_header_names_every_role_of_a_member_of_three_groups(staff_browser, staff) -> None:
    """As the local stack's own member: senders, admins and data-protection, each named."""
    everyone = "all-three@charity.example.org"
    cognito, pool = staff.clients.cognito, staff.settings.staff_user_pool_id
    add_member(cognito, pool, everyone, TEMPORARY, ("data-protection", "admins", "senders"))
    cognito.admin_set_user_password(
        UserPoolId=pool, Username=everyone, Password=CHOSEN, Permanent=True
    )
    assert sign_in(staff_browser, everyone, CHOSEN).status_code == 303
    page = staff_browser.get("/staff/").get_data(as_text=True)
    header = page.split('aria-label="Staff console"', 1)[1].split("</nav>", 1)[0]
    assert f"Signed in as {everyone} (sender, admin, data protection)</span>" in header
    assert ">Members</a>" in header and ">Find a person</a>" in header  # what the roles grant


def test_a_wrong_password_and_an_unknown_account_get_the_same_answer(staff_browser, staff) -> None:
    wrong = sign_in(staff_browser, SENDER, "Not-The-Password-1")
    unknown = sign_in(staff_browser, "nobody@charity.example.org", "Not-The-Password-1")
    assert wrong.status_code == unknown.status_code == 400
    message = "That address and password do not match an account."
    assert message in wrong.get_data(as_text=True) and message in unknown.get_data(as_text=True)
    assert "staff_session" not in (wrong.headers.get("Set-Cookie") or "")
    assert [e.action for e in staff.audit_log.recent()] == ["sign-in refused"] * 2


def test_ten_failures_from_one_network_refuse_that_network_only(staff_browser) -> None:
    for _ in range(10):
        sign_in(staff_browser, SENDER, "Not-The-Password-1")
    blocked = sign_in(staff_browser, SENDER, CHOSEN)  # this network, for 15 minutes
    assert blocked.status_code == 400 and "Too many attempts" in blocked.get_data(as_text=True)


def test_a_session_ends_after_eight_hours_without_use(
    staff_browser, staff_clock: FakeClock
) -> None:
    signed_in_as_sender(staff_browser)
    staff_clock.advance(IDLE_LIMIT - 60)
    assert staff_browser.get("/staff/").status_code == 200  # in use: the idle time starts again
    staff_clock.advance(IDLE_LIMIT + 1)
    assert staff_browser.get("/staff/").status_code == 303


def test_a_session_ends_twelve_hours_after_sign_in_however_it_is_used(
    staff_browser, staff_clock: FakeClock
) -> None:
    signed_in_as_sender(staff_browser)
    for _ in range(5):
        staff_clock.advance(2 * 3600)
        assert staff_browser.get("/staff/").status_code == 200  # 10 hours, never idle
    staff_clock.advance(ABSOLUTE_LIMIT - 10 * 3600)
    response = staff_browser.get("/staff/")
    assert response.status_code == 303 and "/staff/sign-in" in response.headers["Location"]


def test_sign_out_ends_the_session_and_revokes_the_refresh_token(
    staff_browser, staff, staff_clock: FakeClock
) -> None:
    signed_in_as_sender(staff_browser)
    page = staff_browser.get("/staff/").get_data(as_text=True)
    staff_clock.advance(1)  # the audit log orders by the second
    with Stubber(staff.clients.cognito) as stub:  # moto has no RevokeToken
        stub.add_response("revoke_token", {}, {"Token": stub_any(), "ClientId": stub_any()})
        out = staff_browser.post("/staff/sign-out", data={"csrf_token": form_token(page)})
        stub.assert_no_pending_responses()
    assert out.status_code == 303
    assert staff_browser.get("/staff/").status_code == 303
    assert [e.action for e in staff.audit_log.recent()][:1] == ["signed out"]


def test_sign_out_without_its_csrf_token_changes_nothing(staff_browser) -> None:
    signed_in_as_sender(staff_browser)
    assert staff_browser.post("/staff/sign-out").status_code == 400
    assert staff_browser.get("/staff/").status_code == 200


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
        "/staff/sign-in/authenticator", data={"csrf_token": form_token(page), "code": "000000"}
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
    wrong = client.post(
        "/staff/sign-in/code", data={"csrf_token": form_token(page), "code": "123456"}
    )
    assert wrong.status_code == 400 and "did not match" in wrong.get_data(as_text=True)
    not_digits = client.post(
        "/staff/sign-in/code", data={"csrf_token": form_token(page), "code": "12ab"}
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
    right = client.post(
        "/staff/sign-in/code", data={"csrf_token": form_token(page), "code": "654321"}
    )
    assert right.status_code == 303 and right.headers["Location"].endswith("/staff/")


# --- the token itself --------------------------------------------------------------------------


def test_tokens_are_verified_not_trusted(staff: Container, staff_clock: FakeClock) -> None:
    pool, client_id = staff.settings.staff_user_pool_id, staff.settings.staff_client_id
    issuer = f"https://cognito-idp.eu-west-2.amazonaws.com/{pool}"
    jwks = requests.get(f"{issuer}/.well-known/jwks.json", timeout=5).json()

    def verifier(client: str = client_id) -> TokenVerifier:
        return TokenVerifier(
            issuer=issuer, client_id=client, fetch_jwks=lambda: jwks, clock=staff_clock
        )

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
    staff_clock.advance(2 * 3600)
    with pytest.raises(InvalidTokenError, match="expired"):
        verifier().verify(tokens["IdToken"])
