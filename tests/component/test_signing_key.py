"""The app's signing key is read from SSM when a page first needs it, not when the app is built:
the catalogue, the web function's usual first page, signs nothing, so its cold start makes no
SSM client and no call (web/__init__.py, _App.secret_key)."""

from __future__ import annotations

import dataclasses

import pytest
from flask import Flask, session

from mailer.aws.clients import Clients
from mailer.container import Container
from tests.support.environment import TEST_ENV
from web import create_public_app

PARAMETER = "/test/secret-key"


@pytest.fixture
def key_reads(container: Container, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The SSM parameters read so far, for the apps `deployed_app` builds."""
    reads: list[str] = []
    real = Clients._parameter

    def counted(self: Clients, name: str, what: str) -> str:
        reads.append(name)
        return real(self, name, what)

    monkeypatch.setattr(Clients, "_parameter", counted)
    return reads


def deployed_app(container: Container) -> Flask:
    """The public app with the key in SSM, as deployed, on a container of its own (so its key
    is read afresh, as in a new Lambda instance)."""
    settings = dataclasses.replace(
        container.settings, secret_key="", secret_key_parameter=PARAMETER
    )
    clients = Clients(settings, container.clients._session)
    clients.ssm.put_parameter(
        Name=PARAMETER, Value=TEST_ENV["SECRET_KEY"], Type="SecureString", Overwrite=True
    )
    app = create_public_app(Container(settings, clients))
    app.config["TESTING"] = True
    return app


def test_the_catalogue_reads_no_key_and_sets_no_cookie(container, key_reads) -> None:
    app = deployed_app(container)
    response = app.test_client().get("/")
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert key_reads == []


def test_a_page_with_a_form_reads_the_key_once(container, key_reads) -> None:
    app = deployed_app(container)
    client = app.test_client()
    page = client.get("/subscribe")
    assert page.status_code == 200
    assert 'name="csrf_token"' in page.get_data(as_text=True)
    assert key_reads == [PARAMETER]
    client.get("/subscribe")
    client.get("/")
    assert key_reads == [PARAMETER]
    assert app.secret_key == TEST_ENV["SECRET_KEY"]


def test_a_session_cookie_is_verified_with_the_key_read_on_first_use(container, key_reads) -> None:
    """A request carrying a session cookie reads the key to verify it, before the page runs."""
    writer, reader = deployed_app(container), deployed_app(container)

    @writer.get("/test/remember")
    def remember() -> str:
        session["seen"] = "yes"
        return "remembered"

    @reader.get("/test/recall")
    def recall() -> str:
        return session.get("seen", "forgotten")

    client = writer.test_client()
    assert client.get("/test/remember").status_code == 200
    cookie = client.get_cookie("session")
    assert cookie is not None
    other = reader.test_client()
    other.set_cookie("session", cookie.value, domain=cookie.domain)
    assert other.get("/test/recall").get_data(as_text=True) == "yes"
    assert key_reads == [PARAMETER, PARAMETER]  # each app, a Lambda instance, read it once


def test_a_key_set_in_the_config_is_used_as_is(container, key_reads) -> None:
    app = deployed_app(container)
    app.secret_key = "set-by-a-test"
    assert app.config["SECRET_KEY"] == "set-by-a-test"
    assert app.secret_key == "set-by-a-test"
    assert key_reads == []
