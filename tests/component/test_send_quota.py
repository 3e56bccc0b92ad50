"""The SES quota the senders pace at: read from GetAccount, else MAX_SEND_RATE. moto has no
GetAccount, in process or as the local stack's server, and that says nothing; an account whose
GetAccount fails says so, once; and only a command that sends reads the quota at all."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.stub import Stubber
from click.testing import CliRunner
from moto import mock_aws
from moto.server import ThreadedMotoServer

from mailer.aws.clients import Clients
from mailer.cli.main import main
from mailer.container import Container
from mailer.settings import Settings
from tests.conftest import aws_session
from tests.support.digest import FakeClock, add_people, pipeline
from tests.support.environment import TEST_ENV
from tests.support.localstack import free_port

MAX_SEND_RATE = 3.0
UNKNOWN = "SES quota unknown"


def _settings(endpoint: str = "") -> Settings:
    return Settings.from_env(
        {**TEST_ENV, "MAX_SEND_RATE": str(MAX_SEND_RATE), "AWS_ENDPOINT_URL": endpoint}
    )


@pytest.fixture(scope="module")
def moto_server() -> Iterator[str]:
    """moto's server on loopback, as `make run` starts it (mailer/local/stack.py): its URL."""
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


def test_moto_as_the_local_stack_serves_it_has_no_quota_and_nothing_warns(
    moto_server: str, caplog: pytest.LogCaptureFixture
) -> None:
    """moto's server answers GetAccount with a 404 page: the senders pace at MAX_SEND_RATE,
    and a person running `mailer digest send` on the local stack is told nothing of it."""
    settings = _settings(moto_server)
    container = Container(settings, Clients(settings, aws_session(settings.region)))
    assert container.send_quota == MAX_SEND_RATE
    assert _warnings(caplog) == []


def test_moto_in_process_has_no_quota_and_nothing_warns(caplog: pytest.LogCaptureFixture) -> None:
    """In process, moto raises NotImplementedError for GetAccount: the same, quietly."""
    settings = _settings()
    with mock_aws():
        container = Container(settings, Clients(settings, aws_session(settings.region)))
        assert container.send_quota == MAX_SEND_RATE
    assert _warnings(caplog) == []


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("AccessDeniedException", 403),  # the role lacks ses:GetAccount
        ("NotFoundException", 404),  # a 404 that SES named is SES's answer, not moto's
        ("TooManyRequestsException", 429),
        ("InternalFailure", 500),
    ],
)
def test_an_accounts_failed_get_account_still_warns_once(
    caplog: pytest.LogCaptureFixture, code: str, status: int
) -> None:
    """On AWS every error names its code: whatever GetAccount's failure, the senders pace at
    MAX_SEND_RATE and one warning says the quota is unknown, and why."""
    settings = _settings()
    clients = Clients(settings, aws_session(settings.region))
    container = Container(settings, clients)
    with Stubber(clients.sesv2_send) as aws:
        aws.add_client_error("get_account", code, http_status_code=status)
        assert container.send_quota == MAX_SEND_RATE
    warnings = _warnings(caplog)
    assert len(warnings) == 1 and warnings[0].startswith(UNKNOWN), warnings
    assert code in warnings[0]


# Every command a person runs on the local stack that never paces a send (`digest prepare`
# mails the senders one notice, unpaced).
QUIET = [
    ("catalogue", "sync"),
    ("preview", "digest", "--audience", "schools", "--period", "2026-12"),
    ("digest", "plan", "--period", "2026-12"),
    ("digest", "prepare", "--period", "2026-11"),
    ("announce", "safe-homes", "--dry-run"),
    ("campaign", "list"),
    ("census", "check"),
]


@pytest.fixture
def get_accounts(container: Container, clock: FakeClock) -> tuple[Container, list[str]]:
    """The usual five subscribers, and a list that gets one entry per GetAccount call."""
    people = pipeline(container, clock)
    add_people(people.subscriber_store)
    calls: list[str] = []

    def count(**_: Any) -> None:
        calls.append("GetAccount")  # and on to moto, which has none

    people.clients.sesv2_send.meta.events.register("before-call.sesv2.GetAccount", count)
    return people, calls


@pytest.mark.parametrize("command", QUIET, ids=" ".join)
def test_a_command_that_sends_nothing_reads_no_quota(
    get_accounts: tuple[Container, list[str]], command: tuple[str, ...]
) -> None:
    """So an account whose GetAccount fails hears of it only from `mailer digest send`."""
    people, calls = get_accounts
    result = CliRunner().invoke(main, list(command), obj=people)
    assert result.exit_code == 0, result.output
    assert calls == []


def test_digest_send_reads_the_quota_once(get_accounts: tuple[Container, list[str]]) -> None:
    people, calls = get_accounts
    result = CliRunner().invoke(main, ["digest", "send", "--period", "2026-12"], obj=people)
    assert result.exit_code == 0, result.output
    assert "This run: 4 sent" in result.output
    assert calls == ["GetAccount"]
