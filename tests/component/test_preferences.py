"""The preferences page: change what you get, download your data, erase it, unsubscribe."""

from __future__ import annotations

import json
import re

import pytest

from mailer.subscribers.model import Status, Subscriber
from tests.support.keys import subscriber_key


@pytest.fixture
def subscriber(container) -> Subscriber:
    """A confirmed subscriber, as the confirm step leaves them."""
    sub = Subscriber(
        key=subscriber_key("ana@example.org"),
        email="ana@example.org",
        audience="schools",
        topics=("housing",),
        name="Ana",
        organisation="Hill School",
        status=Status.CONFIRMED,
        created_at="2026-11-01T10:00:00+00:00",
        updated_at="2026-11-01T10:05:00+00:00",
        confirmed_at="2026-11-01T10:05:00+00:00",
    )
    container.subscriber_store.put(sub)
    return sub


@pytest.fixture
def page(container, subscriber) -> str:
    """The subscriber's preferences page path."""
    return container.links.manage(subscriber).removeprefix(container.settings.site_url)


def test_page_shows_current_choices(user, page) -> None:
    response = user.client.get(page)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "ana@example.org" in html
    checked = set(re.findall(r'<input checked id="[^"]+" name="(\w+)"[^>]*value="([^"]+)"', html))
    assert checked == {("audience", "schools"), ("topics", "housing"), ("mailings", "both")}
    assert 'value="Ana"' in html and 'value="Hill School"' in html
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_saving_changes_stores_them_and_emails_a_notice(
    user, page, store, subscriber, outbox
) -> None:
    response = user.post_form(
        page,
        page,
        {
            "audience": "faith-groups",
            "topics": ["survivor-voice", "right-to-work"],
            "name": "Ana B",
            "organisation": "St Mary's",
        },
    )
    assert response.status_code == 303
    saved = store.get(subscriber.key)
    assert (saved.audience, saved.topics, saved.name, saved.organisation) == (
        "faith-groups",
        ("right-to-work", "survivor-voice"),
        "Ana B",
        "St Mary's",
    )
    assert "Your preferences are saved." in user.client.get(page).get_data(as_text=True)
    [notice] = outbox.to("ana@example.org")
    assert notice.subject == "Your subscription preferences have changed"
    assert "faith groups" in notice.text and "Hello Ana B," in notice.text
    assert notice.list_unsubscribe.startswith("<https://mailer.example.org/unsubscribe/")


def test_saving_with_nothing_changed_sends_no_email(user, page, outbox) -> None:
    user.post_form(
        page,
        page,
        {
            "audience": "schools",
            "topics": ["housing"],
            "name": "Ana",
            "organisation": "Hill School",
        },
    )
    assert outbox.all() == []


def test_bad_preferences_are_refused_and_nothing_is_lost(user, page, store, subscriber) -> None:
    response = user.post_form(
        page, page, {"audience": "martians", "topics": ["housing"], "name": "x\r\ny"}
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Not a valid choice" in html and "one line of plain text" in html
    assert store.get(subscriber.key) == subscriber


def test_unticking_every_topic_asks_for_one_and_changes_nothing(
    user, page, store, subscriber, outbox
) -> None:
    """It once said "saved" and quietly ticked every topic again: ask instead, change nothing,
    and keep what was typed (the new group and name stay on the page, not yet saved)."""
    response = user.post_form(
        page, page, {"audience": "individuals", "name": "Ana B", "organisation": "Hill School"}
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'id="topics-error"' in html
    assert "Please tick at least one topic." in html and "tick them all" in html
    assert "To get no emails at all, press Unsubscribe below." in html
    assert "saved" not in html.lower()
    assert 'value="Ana B"' in html
    assert re.search(r'<input checked id="[^"]+" name="audience"[^>]*value="individuals"', html)
    assert store.get(subscriber.key) == subscriber
    assert outbox.all() == []


def test_save_without_csrf_token_is_refused(user, page, store, subscriber) -> None:
    response = user.client.post(page, data={"audience": "individuals"})
    assert response.status_code == 400
    assert store.get(subscriber.key) == subscriber


def test_download_my_data(user, page) -> None:
    response = user.post_form(page, page + "/export")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment;")
    data = json.loads(response.get_data(as_text=True))
    assert data["email"] == "ana@example.org"
    assert data["group"] == "schools" and data["topics"] == ["housing"]
    assert data["status"] == "confirmed"


def test_erase_needs_the_tick_then_keeps_only_the_hash(
    user, page, store, subscriber, container
) -> None:
    refused = user.post_form(page, page + "/erase")
    assert refused.status_code == 400
    assert store.get(subscriber.key) == subscriber
    erased = user.post_form(page, page + "/erase", {"confirm": "y"})
    assert erased.status_code == 200 and "Your data is erased" in erased.get_data(as_text=True)
    item = container.table(container.settings.subscribers_table).resource.get_item(
        Key={"pk": f"sub#{subscriber.key}"}
    )["Item"]
    # Only the key, and the withdrawal's time and way (issue 18: withdrawal is evidence too).
    assert set(item) == {"pk", "status", "updated_at", "withdrawn_at", "withdrawal"}
    assert item["status"] == "erased" and item["withdrawal"] == "by the subscriber"
    assert "ana@example.org" not in json.dumps(item)
    assert user.client.get(page).status_code == 404  # the page is gone too
    assert list(store.confirmed("schools")) == []


def test_erased_address_can_subscribe_afresh(user, page, store, subscriber, outbox) -> None:
    user.post_form(page, page + "/erase", {"confirm": "y"})
    assert user.subscribe("ana@example.org").status_code == 303
    assert store.get(subscriber.key).status is Status.PENDING
    assert outbox.to("ana@example.org")[-1].subject == "Please confirm your subscription"


def test_unsubscribe_from_the_page(user, page, store, subscriber) -> None:
    response = user.post_form(page, page + "/unsubscribe")
    assert response.status_code == 200
    assert store.get(subscriber.key).status is Status.UNSUBSCRIBED
    assert user.client.get(page).status_code == 404  # links from before are revoked
    fresh = user.path(re.search(r'href="([^"]*/preferences/[^"]+)"', response.text).group(1))
    html = user.client.get(fresh).get_data(as_text=True)
    assert "You are unsubscribed" in html and "Save my preferences" not in html


def test_after_erase_and_a_new_subscription_the_old_manage_link_shows_nothing(
    user, page, store, subscriber, outbox
) -> None:
    """Issue 10, item 5: the old link used to show the new record."""
    user.post_form(page, page + "/erase", {"confirm": "y"})
    user.subscribe("ana@example.org")
    confirm = user.path(outbox.link(outbox.to("ana@example.org")[-1], "/confirm/"))
    user.post_form(confirm, confirm)
    assert store.get(subscriber.key).status is Status.CONFIRMED
    assert user.client.get(page).status_code == 404
