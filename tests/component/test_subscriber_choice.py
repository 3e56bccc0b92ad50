"""Issue 17, item 8: a person chooses the monthly digest, announcements, or both (default both);
digests and announcements honour it, the export shows it, and records from before count as
both."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import replace

import pytest

from mailer.campaigns.model import Period, SendOutcome
from mailer.container import Container
from mailer.subscribers.model import Mailings, Status
from tests.support.data_protection import post, seed, signed_in_as_data_protection
from tests.support.digest import FakeClock, add, drain_queue, pipeline
from tests.support.keys import subscriber_key
from tests.support.mail import sent_mail

DEC = Period(2026, 12)


@pytest.fixture
def p(container: Container, clock: FakeClock) -> Container:
    """Three school subscribers: one from before the choice, one digest-only, one
    announcements-only."""
    built = pipeline(container, clock)
    store = built.subscriber_store
    add(store, "old@example.org", "schools")  # no choice stored: both
    digest_only = add(store, "dig@example.org", "schools")
    news_only = add(store, "news@example.org", "schools")
    for subscriber, choice in ((digest_only, "digest"), (news_only, "announcements")):
        store.replace(subscriber, replace(subscriber, mailings=choice))
    return built


def _recipients() -> set[str]:
    return {m.to for m in sent_mail()}


def test_announcements_only_get_no_digest_and_digest_only_no_announcement(p: Container) -> None:
    p.planner.plan(p.planner.digest(DEC))
    drain_queue(p)
    assert _recipients() == {"old@example.org", "dig@example.org"}
    status = p.campaigns.status(f"digest#{DEC}")
    assert status is not None and status.counts["schools"][SendOutcome.SKIPPED.value] == 1
    entry = p.ledger.entry(status.campaign, subscriber_key("news@example.org"))
    assert entry is not None and entry["reason"] == "chose not to get digests"

    before = len(sent_mail())
    announced = p.planner.announcement("real-people-real-lives-2019", ["schools"])
    p.planner.plan(announced)
    drain_queue(p)
    assert {m.to for m in sent_mail()[before:]} == {"old@example.org", "news@example.org"}


def test_a_choice_changed_after_planning_still_counts(p: Container) -> None:
    p.planner.plan(p.planner.digest(DEC))
    old = p.subscriber_store.get(subscriber_key("old@example.org"))
    assert old is not None
    p.subscriptions.update_preferences(
        old.link_id, "schools", [], "", "", mailings=Mailings.ANNOUNCEMENTS.value
    )
    drain_queue(p)
    digests = {m.to for m in sent_mail() if m.subject.startswith("December 2026:")}
    assert digests == {"dig@example.org"}


def test_the_subscribe_form_stores_the_choice_and_defaults_to_both(user, store) -> None:
    page = user.client.get("/subscribe").get_data(as_text=True)
    assert re.search(r'<input checked id="[^"]+" name="mailings"[^>]*value="both"', page)
    assert "Only the monthly digest" in page and "Only announcements of new resources" in page
    assert user.subscribe("ana@example.org", mailings="announcements").status_code == 303
    assert user.subscribe("bo@example.org").status_code == 303  # a form without the field
    ana = store.get(subscriber_key("ana@example.org"))
    bo = store.get(subscriber_key("bo@example.org"))
    assert ana is not None and ana.choice is Mailings.ANNOUNCEMENTS
    assert bo is not None and bo.choice is Mailings.BOTH and bo.mailings == ""


def test_a_bad_choice_gets_a_message_beside_its_field_and_stores_nothing(user, store) -> None:
    response = user.subscribe("ana@example.org", mailings="everything")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert re.search(
        r'id="mailings-error">Please choose the monthly digest, announcements, or both', html
    )
    assert store.get(subscriber_key("ana@example.org")) is None


def test_the_preferences_page_changes_it_and_the_export_shows_it(user, container) -> None:
    subscriber = seed(container, "ana@example.org", name="Ana")
    page = container.links.manage(subscriber).removeprefix(container.settings.site_url)
    saved = user.post_form(
        page, page, {"audience": "schools", "topics": ["housing"], "mailings": "digest"}
    )
    assert saved.status_code == 303
    stored = container.subscriber_store.get(subscriber.key)
    assert stored is not None and stored.choice is Mailings.DIGEST
    html = user.client.get(page).get_data(as_text=True)
    assert re.search(r'<input checked id="[^"]+" name="mailings"[^>]*value="digest"', html)
    download = user.post_form(page, f"{page}/export")
    assert json.loads(download.get_data(as_text=True))["gets"] == "Only the monthly digest"
    bad = user.post_form(
        page, page, {"audience": "schools", "topics": ["housing"], "mailings": "x"}
    )
    assert bad.status_code == 400 and 'id="mailings-error"' in bad.get_data(as_text=True)


def test_the_staff_export_shows_each_choice(staff, staff_browser) -> None:
    seed(staff, "ana@example.org", name="Ana", mailings="announcements")
    seed(staff, "bo@example.org", name="Bo")  # from before the choice
    signed_in_as_data_protection(staff_browser)
    response = post(staff_browser, "/staff/export/", "/staff/export/", audience="schools")
    rows = {r["email"]: r for r in csv.DictReader(io.StringIO(response.get_data(as_text=True)))}
    assert rows["ana@example.org"]["gets"] == "Only announcements of new resources"
    assert rows["bo@example.org"]["gets"] == (
        "The monthly digest and announcements of new resources"
    )


def test_an_unknown_stored_choice_counts_as_both(container) -> None:
    subscriber = seed(container, "ana@example.org", mailings="weekly")
    assert subscriber.status is Status.CONFIRMED
    assert subscriber.wants("digest") and subscriber.wants("announcement")
