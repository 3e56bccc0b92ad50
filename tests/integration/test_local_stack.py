"""`mailer local run` as `make run` starts it: real moto server, real HTTP, a second terminal."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest

from tests.support.localstack import (
    MAILER,
    STAFF,
    LocalStack,
    http,
    sign_in_choosing_a_password,
)


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    """The local stack in a child process."""
    with LocalStack() as running:
        yield running


def test_startup_prints_the_urls_and_syncs_the_catalogue(stack: LocalStack) -> None:
    assert "Catalogue synced: added 16, updated 0, removed 0, unchanged 0." in stack.banner
    assert f"Catalogue:        {stack.site}/" in stack.banner
    assert f"{stack.site}/dev/outbox" in stack.banner
    assert f"Staff console:    {stack.site}/staff/sign-in  as staff@example.org" in stack.banner


def test_serves_the_catalogue_with_filters(stack: LocalStack) -> None:
    status, html = http(f"{stack.site}/?audience=schools")
    assert status == 200
    assert html.count('class="resource"') == 5


def test_cli_in_a_second_terminal_reaches_the_same_stack(stack: LocalStack) -> None:
    sync = stack.run(str(MAILER), "catalogue", "sync")
    assert sync.returncode == 0, sync.stderr
    assert sync.stdout.startswith("added 0, updated 0, removed 0, unchanged 16")
    send = stack.run(sys.executable, "-c", SEND_ONE)
    assert send.returncode == 0, send.stderr
    messages = stack.outbox()
    assert len(messages) == 1
    assert messages[0]["to"] == "reader@example.com"
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in messages[0]["raw"]
    status, listing = http(f"{stack.site}/dev/outbox")
    assert status == 200
    assert "free resources on modern slavery for schools" in listing


def test_digest_send_says_nothing_of_a_quota_the_stack_does_not_have(stack: LocalStack) -> None:
    """moto's server has no SES GetAccount (it answers 404): the senders pace at MAX_SEND_RATE
    and `mailer digest send`, the one command that reads the quota, warns of nothing (which
    commands read it: tests/component/test_send_quota.py)."""
    send = stack.run(str(MAILER), "digest", "send", "--period", "2026-12")
    assert send.returncode == 0, send.stderr
    assert "This run:" in send.stdout
    assert "SES quota unknown" not in send.stdout + send.stderr, send.stderr


def test_the_staff_commands_in_a_second_terminal_find_the_stacks_staff_pool(
    stack: LocalStack,
) -> None:
    """local.env names no staff pool (moto makes a new id for a new pool): the CLI finds the
    running stack's, so `mailer staff` works and `mailer digest send` tells the senders."""
    assert "STAFF_USER_POOL_ID" not in stack.env and "STAFF_CLIENT_ID" not in stack.env
    browser = sign_in_choosing_a_password(stack.site)
    members = stack.run(str(MAILER), "staff", "members")
    assert members.returncode == 0, members.stderr
    assert members.stdout.split()[::2] == [STAFF, "enabled"]
    ended = stack.run(str(MAILER), "staff", "end-sessions", STAFF)
    assert ended.returncode == 0, ended.stderr
    assert ended.stdout == f"{STAFF}: signed out everywhere, 1 console session(s) ended.\n"
    assert "/staff/sign-in?" in browser.get(f"{stack.site}/staff/", timeout=10).url
    sent = stack.run(str(MAILER), "digest", "send", "--period", "2027-01")
    assert sent.returncode == 0, sent.stderr
    assert "no staff user pool" not in sent.stdout + sent.stderr
    notices = [m for m in stack.outbox() if "January 2027 digest is ready" in m["subject"]]
    assert [m["to"] for m in notices] == [STAFF]


def test_ctrl_c_stops_cleanly(stack: LocalStack) -> None:
    code, output = stack.stop()
    assert code == 0, output
    assert "Stopping the local stack." in output
    assert "Traceback" not in output


# What a second terminal would do to send one digest through the stack's fake SES.
SEND_ONE = """
from mailer.campaigns.variants import digest_context
from mailer.emails.views import greeting
from mailer.emails.mime import build_message
from mailer.campaigns.model import Period
from mailer.campaigns.selection import select_resources
from mailer.container import Container
from mailer.settings import Settings

container = Container(Settings.from_env())
period = Period.parse("2026-12")
resources = container.catalogue_store.resources(container.vocabulary)
picks = select_resources(resources, "schools", [], period)
site = container.settings.site_url
context = digest_context(container.vocabulary, site, "schools", [], period, picks)
email = container.renderer.render("digest", context, {
    "greeting": greeting(None), "manage_url": "http://x/m", "unsubscribe_url": "http://x/u"})
raw = build_message(email, sender=container.settings.sender_address, to="reader@example.com",
                    list_unsubscribe_url="http://x/u").as_bytes()
container.clients.sesv2.send_email(
    FromEmailAddress=container.settings.sender_address,
    Destination={"ToAddresses": ["reader@example.com"]}, Content={"Raw": {"Data": raw}})
"""
