"""`mailer digest send --period 2026-12` against the local stack, from a second terminal: one digest
per relevant confirmed subscriber in the outbox, with working links; a second run sends nothing."""

from __future__ import annotations

import email
import email.policy
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from mailer.catalogue.schema import Catalogue
from mailer.paths import catalogue_dir
from mailer.subscribers.tokens import Purpose, Tokens
from tests.support.digest import EXPECTED, RELEVANT
from tests.support.localstack import MAILER, STAFF, LocalStack, http, one_click

# What a second terminal would do to get some confirmed subscribers into the stack's store.
ADD_PEOPLE = """
from mailer.container import Container
from mailer.container import Container
from mailer.settings import Settings
from tests.support.digest import add, add_people
from mailer.subscribers.model import Status

container = Container(Settings.from_env())
store = container.subscriber_store
add_people(store, keys=container.keys)
add(store, "pending@example.org", "schools", status=Status.PENDING, keys=container.keys)
add(store, "left@example.org", "individuals", status=Status.UNSUBSCRIBED, keys=container.keys)
"""

STATUS_OF = """
import sys
from mailer.container import Container
from mailer.container import Container
from mailer.settings import Settings

container = Container(Settings.from_env())
print(container.subscriber_store.get(container.keys.key(sys.argv[1])).status.value)
"""


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    """The local stack in a child process, with the usual subscribers."""
    with LocalStack() as running:
        added = running.run(sys.executable, "-c", ADD_PEOPLE)
        assert added.returncode == 0, added.stderr
        yield running


def _digests(stack: LocalStack) -> list[dict[str, Any]]:
    """The outbox but the senders' notices (the local staff member is the one sender)."""
    return [m for m in stack.outbox() if m["to"] != STAFF]


@pytest.fixture(scope="module")
def first_run(stack: LocalStack) -> tuple[str, list[dict[str, Any]]]:
    """The first `mailer digest send`: its output and the digests in the outbox after it."""
    result = stack.run(str(MAILER), "digest", "send", "--period", "2026-12")
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout, _digests(stack)


def test_sending_prepares_the_draft_and_tells_the_stacks_sender(
    stack: LocalStack, first_run: tuple[str, list[dict[str, Any]]]
) -> None:
    notices = [m for m in stack.outbox() if m["to"] == STAFF]
    assert [m["subject"] for m in notices] == ["The December 2026 digest is ready for review"]


def _text(raw: str) -> str:
    parsed = email.message_from_string(raw, policy=email.policy.default)
    return parsed.get_body(preferencelist=("plain",)).get_content()


def test_one_digest_per_relevant_confirmed_subscriber_with_the_right_resources(
    first_run: tuple[str, list[dict[str, Any]]],
) -> None:
    output, outbox = first_run
    assert "digest#2026-12: created, 5 recipient(s) queued." in output
    assert "This run: 4 sent, 1 skipped" in output
    assert sorted(m["to"] for m in outbox) == sorted(RELEVANT)
    resources = Catalogue.load(catalogue_dir()).resources
    for message in outbox:
        text = _text(message["raw"])
        shown = {r.id for r in resources if r.title in text}
        assert message["subject"].startswith("December 2026: free resources on modern slavery")
        if message["to"] in EXPECTED:
            assert shown == EXPECTED[message["to"]], message["to"]
        else:  # Eli: individuals, every topic: six of the individuals' resources
            assert len(shown) == 6
            assert all("individuals" in r.audiences for r in resources if r.id in shown)


def test_every_digest_carries_one_click_unsubscribe_and_preferences_links(
    stack: LocalStack, first_run: tuple[str, list[dict[str, Any]]]
) -> None:
    _, outbox = first_run
    tokens = Tokens(stack.env["SECRET_KEY"])
    link_ids = set()
    for message in outbox:
        unsubscribe = message["list_unsubscribe"].strip("<>")
        assert unsubscribe.startswith(f"{stack.site}/unsubscribe/")
        link_id = tokens.read(Purpose.UNSUBSCRIBE, unsubscribe.rsplit("/", 1)[1])
        assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in message["raw"]
        manage = next(w for w in _text(message["raw"]).split() if "/preferences/" in w)
        assert manage.startswith(f"{stack.site}/preferences/")
        assert tokens.read(Purpose.MANAGE, manage.rsplit("/", 1)[1]) == link_id
        link_ids.add(link_id)
    assert len(link_ids) == len(outbox)  # each person's own opaque id, never their key


def test_a_second_run_sends_nothing(
    stack: LocalStack, first_run: tuple[str, list[dict[str, Any]]]
) -> None:
    _, outbox = first_run
    again = stack.run(str(MAILER), "digest", "send", "--period", "2026-12")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "already planned" in again.stdout
    assert "This run: 0 sent" in again.stdout
    assert len(_digests(stack)) == len(outbox) == 4
    status = stack.run(str(MAILER), "digest", "status", "--period", "2026-12")
    assert status.returncode == 0, status.stderr
    total = next(line for line in status.stdout.splitlines() if line.strip().startswith("total"))
    assert total.split() == ["total", "5", "4", "1", "0", "0"]


def test_the_links_work_on_the_stack(
    stack: LocalStack, first_run: tuple[str, list[dict[str, Any]]]
) -> None:
    """The preferences page opens, and the one-click POST a mail client makes unsubscribes."""
    _, outbox = first_run
    amal = next(m for m in outbox if m["to"] == "amal@example.org")
    manage = next(w for w in _text(amal["raw"]).split() if "/preferences/" in w)
    status, _ = http(manage)
    assert status == 200
    assert one_click(amal["list_unsubscribe"].strip("<>")) == 200
    after = stack.run(sys.executable, "-c", STATUS_OF, "amal@example.org")
    assert after.stdout.strip() == "unsubscribed", after.stderr
