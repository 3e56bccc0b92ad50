"""Shared fixtures: settings for tests, a moto-backed AWS built from the SAM template, the app."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from mailer.aws import Clients
from mailer.infra import Template, default_template_path
from mailer.provision import provision
from mailer.services import Services
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
    return app


@pytest.fixture
def client(app):
    """Flask's test client for the deployed app."""
    return app.test_client()


def pytest_configure(config: pytest.Config) -> None:
    """Run from the repo root so relative paths in messages match what users see."""
    os.chdir(REPO)
