"""Shared fixtures: settings for tests, a moto-backed AWS built from the SAM template, the app."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from mailer.aws.clients import Clients
from mailer.container import Services
from mailer.local.provision import provision
from mailer.local.template import Template, default_template_path
from mailer.settings import Settings

REPO = Path(__file__).resolve().parents[1]

TEST_ENV = {
    "SENDER_ADDRESS": "news@mailer.example.org",
    "SITE_URL": "https://mailer.example.org",
    "CATALOGUE_TABLE": "test-catalogue",
    "SUBSCRIBERS_TABLE": "test-subscribers",
    "CAMPAIGNS_TABLE": "test-campaigns",
    "SEND_QUEUE_URL": "https://sqs.eu-west-2.amazonaws.com/123456789012/test-send",
    "SECRET_KEY": "test-secret-key",
    "AWS_REGION": "eu-west-2",
    "POSTAL_ADDRESS": "1 Test Street, London",
}


@pytest.fixture(autouse=True)
def _no_real_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials for every test, so nothing can ever reach a real account."""
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "LOCAL_STACK"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-2")


@pytest.fixture
def clock():
    """A fake clock for the pipeline: time, pacing and backoff without real waiting."""
    from tests.support.digest import FakeClock

    return FakeClock()


@pytest.fixture
def test_env() -> dict[str, str]:
    """The environment a deployed function would see, as a dict."""
    return dict(TEST_ENV)


@pytest.fixture
def settings() -> Settings:
    """Settings as a deployed stack would have them (no local stack, no outbox)."""
    return Settings.from_env(TEST_ENV)


@pytest.fixture
def template() -> Template:
    """The SAM template the stack is built from."""
    return Template.load(default_template_path())


@pytest.fixture
def aws(settings: Settings, template: Template) -> Iterator[Clients]:
    """In-process moto with the template's tables and queues and the sender identity."""
    with mock_aws():
        clients = Clients(settings, boto3.Session(region_name=settings.region))
        provision(clients, template)
        yield clients


@pytest.fixture
def services(settings: Settings, aws: Clients) -> Services:
    """Services wired to the moto-backed clients, with the catalogue synced."""
    services = Services(settings, aws)
    services.catalogue_store.sync(services.catalogue_files())
    return services


@pytest.fixture
def local_services(aws: Clients) -> Services:
    """Services as the local stack has them: LOCAL_STACK=1, so the dev outbox exists."""
    settings = Settings.from_env({**TEST_ENV, "LOCAL_STACK": "1"})
    services = Services(settings, Clients(settings, boto3.Session(region_name=settings.region)))
    services.catalogue_store.sync(services.catalogue_files())
    return services


@pytest.fixture
def app(services: Services):
    """The Flask app as deployed."""
    from web import create_app

    app = create_app(services)
    app.config["TESTING"] = True
    app.config["SUBSCRIBE_MIN_RESPONSE_SECONDS"] = 0  # test_response_time_is_padded checks it
    return app


@pytest.fixture
def client(app):
    """Flask's test client for the deployed app (https, as SITE_URL says: see create_app)."""
    return app.test_client()


def pytest_configure(config: pytest.Config) -> None:
    """Run from the repo root so relative paths in messages match what users see."""
    os.chdir(REPO)


# --- the web app as subscribers use it ------------------------------------------------------


class Outbox:
    """What moto's SES accepted, parsed: the test's view of people's inboxes."""

    def __init__(self, region: str) -> None:
        from mailer.local.outbox import moto_outbox

        self._read = moto_outbox(region)

    def all(self):
        """Every message, oldest first."""
        return list(reversed(self._read()))

    def to(self, address: str):
        """Messages sent to one address, oldest first."""
        return [m for m in self.all() if address in m.to]

    def link(self, message, path: str) -> str:
        """The first link in a message's text part whose path starts with `path`."""
        import re

        match = re.search(rf"https?://[^\s]+?{re.escape(path)}[^\s]+", message.text)
        assert match, f"no {path} link in: {message.text}"
        return match.group(0)


@pytest.fixture
def outbox(settings: Settings) -> Outbox:
    """The outbox of the in-process fake SES."""
    return Outbox(settings.region)


class WebUser:
    """A person using the site through Flask's test client: reads forms, sends their tokens."""

    def __init__(self, client, site_url: str) -> None:
        self.client = client
        self.site_url = site_url

    def path(self, url: str) -> str:
        """A link from an email, as a path for the test client."""
        return url.removeprefix(self.site_url)

    @staticmethod
    def form_token(html: str) -> str:
        """The CSRF token from the first form on a page."""
        import re

        match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
        assert match, "no csrf_token on the page"
        return match.group(1)

    def subscribe(
        self,
        email: str,
        audience: str = "schools",
        topics=None,
        page_path: str = "/subscribe",
        **extra,
    ):
        """Fill in and submit the subscribe form (or the embeddable one, page_path=...)."""
        page = self.client.get(page_path).get_data(as_text=True)
        data = {
            "csrf_token": self.form_token(page),
            "email": email,
            "audience": audience,
            "topics": list(topics) if topics is not None else ["housing", "survivor-voice"],
        }
        data.update(extra)
        return self.client.post("/subscribe", data=data)

    def post_form(self, page_path: str, action_path: str, data=None):
        """Open a page, then post one of its forms with the page's CSRF token."""
        page = self.client.get(page_path).get_data(as_text=True)
        return self.client.post(
            action_path, data={"csrf_token": self.form_token(page), **(data or {})}
        )


@pytest.fixture
def make_user(settings: Settings):
    """Make a visitor for an app: make_user(app, use_cookies=True, min_fill_seconds=0)."""

    def make(app, use_cookies: bool = True, min_fill_seconds: int = 0) -> WebUser:
        app.config["SUBSCRIBE_MIN_FILL_SECONDS"] = min_fill_seconds
        app.config["SUBSCRIBE_MIN_RESPONSE_SECONDS"] = 0
        return WebUser(app.test_client(use_cookies=use_cookies), settings.site_url)

    return make


@pytest.fixture
def user(app, make_user) -> WebUser:
    """A visitor to the deployed app, with no minimum fill time to wait out."""
    return make_user(app)


@pytest.fixture
def store(services: Services):
    """The subscriber store the app uses."""
    return services.subscriber_store
