"""Shared fixtures: settings for tests, a moto-backed AWS built from the SAM template, the app."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import botocore.session
import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from moto import mock_aws

from mailer.aws.clients import Clients
from mailer.catalogue.schema import Catalogue, Resource, Vocabulary
from mailer.container import Container
from mailer.emails.render import EmailRenderer
from mailer.local import fast_moto
from mailer.local import state as moto_state
from mailer.local.provision import provision
from mailer.local.template import Template, default_template_path
from mailer.settings import Settings
from tests.support.digest import FakeClock
from tests.support.environment import TEST_ENV
from tests.support.mail import Outbox
from tests.support.moto_state import outermost_mock, share_cognito_signing_key
from tests.support.staff import now_clock, staff_container

REPO = Path(__file__).resolve().parents[1]
fast_moto.install()  # before any moto answers: the same JSON, without a shape walk per attribute
# The console draft pages' fixtures (`people`, `sender`), shared by their test modules.
pytest_plugins = ["tests.support.console"]


# Hypothesis examples per property: "dev" (the default) keeps `make test` quick while you work;
# CI runs the full fuzz (.ci/run sets HYPOTHESIS_PROFILE=ci).
hypothesis_settings.register_profile(
    "ci", max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
hypothesis_settings.register_profile(
    "dev", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

# One botocore session for the whole run: building a client parses its service model, which a
# fresh session does from scratch (about a third of the suite's time before this was shared).
# moto patches every session's HTTP layer, so sharing one changes nothing about isolation.
_BOTOCORE = botocore.session.get_session()


@functools.cache
def aws_session(region: str = "eu-west-2") -> boto3.Session:
    """A boto3 session on the shared botocore session, one per region: each boto3 Session
    registers its handlers on the botocore session, and S3's refuse to be registered twice."""
    return boto3.Session(botocore_session=_BOTOCORE, region_name=region)


@pytest.fixture(autouse=True)
def _no_real_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials for every test, so nothing can ever reach a real account."""
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "LOCAL_STACK"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-2")


@pytest.fixture(autouse=True)
def _cheap_proof_of_work(monkeypatch: pytest.MonkeyPatch) -> None:
    """Proof-of-work challenges as cheap as they come: the tests solve hundreds of them."""
    monkeypatch.setattr("mailer.subscribers.proof.POW_COST", 1)


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


@pytest.fixture(scope="session")
def template() -> Template:
    """The SAM template the stack is built from (parsed once; tests copy before changing it)."""
    return Template.load(default_template_path())


@pytest.fixture(scope="session", autouse=True)
def provisioned_moto(request: pytest.FixtureRequest) -> bytes | None:
    """moto as `provision` leaves it from the template (through the API, once a run), for
    every test's `aws` to start from a copy: making it afresh per test took a second.

    Autouse, so it is made before any module's own moto starts (it must start from nothing),
    and only when some test will use it.
    """
    if not any("aws" in getattr(item, "fixturenames", ()) for item in request.session.items):
        return None
    share_cognito_signing_key()
    template = request.getfixturevalue("template")
    with mock_aws():
        assert outermost_mock(), "the snapshot must start from an empty moto"
        settings = Settings.from_env(TEST_ENV)
        provision(Clients(settings, aws_session(settings.region)), template)
        return moto_state.dump(moto_state.current())


@pytest.fixture
def aws(
    settings: Settings,
    template: Template,
    provisioned_moto: bytes | None,
    request: pytest.FixtureRequest,
) -> Iterator[Clients]:
    """In-process moto with the template's tables and queues and the sender identity, fresh
    for each test.

    After every test, the census counters must equal a scan of the subscribers table (issue
    18, item 7): every test, fault tests included, checks that each write kept them exact.
    """
    with mock_aws():
        clients = Clients(settings, aws_session(settings.region))
        if provisioned_moto and outermost_mock() and settings == Settings.from_env(TEST_ENV):
            moto_state.load(provisioned_moto)
        else:  # inside a module's own moto (the test shares its state), or other settings
            provision(clients, template)
        yield clients
        if request.node.get_closest_marker("census_unchecked") is None:
            _census_equals_a_scan(clients, settings)


def _census_equals_a_scan(clients: Clients, settings: Settings) -> None:
    from mailer.aws.table import Table
    from mailer.subscribers.census import counted, scanned

    table = Table(clients.dynamodb.Table(settings.subscribers_table))
    # The counters live in the table they count: an empty table (most tests) has none to drift.
    if not table.resource.scan(Limit=1)["Items"]:
        return
    assert counted(table) == scanned(table), "the census counters drifted from a scan"


@pytest.fixture
def container(settings: Settings, aws: Clients, real_catalogue: Catalogue) -> Container:
    """The container wired to the moto-backed clients, with the catalogue synced."""
    container = Container(settings, aws)
    container.catalogue_store.sync(real_catalogue)
    return container


@pytest.fixture
def local_container(aws: Clients, real_catalogue: Catalogue) -> Container:
    """The container as the local stack has it: LOCAL_STACK=1, so the dev outbox may exist."""
    settings = Settings.from_env(
        {**TEST_ENV, "LOCAL_STACK": "1", "AWS_ENDPOINT_URL": "http://127.0.0.1:5005"}
    )
    # The settings name a loopback fake AWS, as the local stack's do (the dev outbox needs
    # it); the clients reach the in-process moto instead.
    in_process = dataclasses.replace(settings, aws_endpoint_url="")
    container = Container(settings, Clients(in_process, aws_session(settings.region)))
    container.catalogue_store.sync(real_catalogue)
    return container


@pytest.fixture
def app(container: Container):
    """The Flask app as deployed."""
    from web import create_app

    app = create_app(container)
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
    def proof(html: str) -> str:
        """What a browser with script sends: the page's ALTCHA challenge, solved."""
        import html as html_lib
        import json
        import re

        import altcha

        match = re.search(r"<altcha-widget challenge='([^']+)'", html)
        assert match, "no proof-of-work challenge on the page"
        challenge = altcha.Challenge.from_dict(json.loads(html_lib.unescape(match.group(1))))
        return altcha.Payload(challenge, altcha.solve_challenge(challenge)).to_base64()

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
        script: bool = True,
        **extra,
    ):
        """Fill in and submit the subscribe form (or the embeddable one, page_path=...), with
        the proof of work solved as a browser with script does (script=False: none)."""
        page = self.client.get(page_path).get_data(as_text=True)
        data = {
            "altcha": self.proof(page) if script else "",
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
def store(container: Container):
    """The subscriber store the app uses."""
    return container.subscriber_store


@pytest.fixture
def use_container() -> Iterator[Callable[[Container | None], None]]:
    """Make a container the process's own, as a warm Lambda holds it; forgotten afterwards."""
    from mailer.container import install

    install(None)
    yield install
    install(None)


# --- the catalogue and the renderer, for pure tests ---------------------------------------


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository root, whatever directory pytest was started from."""
    return REPO


@pytest.fixture(scope="session")
def catalogue_dir() -> Path:
    """The real catalogue/ directory."""
    return REPO / "catalogue"


@pytest.fixture(scope="session")
def real_catalogue(catalogue_dir: Path) -> Catalogue:
    """The catalogue shipped in the repository, parsed and validated once for the run."""
    return Catalogue.load(catalogue_dir)


@pytest.fixture(scope="session")
def vocabulary(real_catalogue: Catalogue) -> Vocabulary:
    """The real controlled vocabularies."""
    return real_catalogue.vocabulary


@pytest.fixture(scope="session")
def site_url() -> str:
    """The site URL every rendered email links to."""
    return "https://example.org"


@pytest.fixture(scope="session")
def base_context(site_url: str) -> dict[str, str]:
    """What every email template gets besides its own context."""
    return {
        "site_url": site_url,
        "charity_name": "Anti-Slavery International",
        "charity_address": "1 Street, London",
    }


@pytest.fixture
def renderer(base_context: dict[str, str]) -> EmailRenderer:
    """A fresh renderer (empty cache, compiles == 0) over the real templates."""
    return EmailRenderer(REPO / "templates" / "email", base_context)


@pytest.fixture(scope="session")
def make_resource(vocabulary: Vocabulary) -> Callable[..., Resource]:
    """Factory for valid resources: make_resource(id="x", topics=["housing"], added=date)."""

    def make(**overrides: Any) -> Resource:
        data: dict[str, Any] = {
            "id": "test-resource",
            "title": "A test resource",
            "summary": "A summary long enough to pass the catalogue's minimum length.",
            "url": "",
            "published": "",
            "type": "briefing",
            "publisher": "ATMG",
            "audiences": ["individuals"],
            "topics": ["survivor-support"],
            "added": dt.date(2026, 1, 15),
        }
        data.update(overrides)
        return Resource.model_validate(data, context={"vocabulary": vocabulary})

    return make


# --- campaign staff ----------------------------------------------------------------------------


@pytest.fixture
def staff_clock() -> FakeClock:
    """Now: moto signs its Cognito tokens with the real time."""
    return now_clock()


@pytest.fixture
def staff(container: Container, staff_clock: FakeClock) -> Container:
    """The container with a user pool: a sender (password set) and an editor (first sign-in)."""
    return staff_container(container, staff_clock)


@pytest.fixture
def staff_browser(staff: Container) -> Any:
    """A member of staff's browser (Flask's test client, https), not yet signed in."""
    from web import create_app

    app = create_app(staff)
    app.config["TESTING"] = True
    return app.test_client()
