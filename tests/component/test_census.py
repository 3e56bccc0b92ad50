"""Issue 18, items 4 and 7: the census counters follow every write (and equal a scan after
every test: tests/conftest.py checks it), and confirming stores the basis, the source and the
words the person saw, once per version."""

from __future__ import annotations

import datetime as dt

from mailer.staff.dashboard import scan_census, take_census
from mailer.subscribers.model import Status
from tests.support.keys import subscriber_key


def _confirm(user, outbox, address: str) -> None:
    user.subscribe(address, audience="schools")
    path = user.path(outbox.link(outbox.to(address)[-1], "/confirm/"))
    page = user.client.get(path).get_data(as_text=True)
    assert user.client.post(path, data={"csrf_token": user.form_token(page)}).status_code == 200


def _census(container):
    table = container.table(container.settings.subscribers_table)
    today = dt.datetime.now(dt.UTC).date()
    counted = take_census(table, container.vocabulary.audiences, today)
    assert counted == scan_census(table, container.vocabulary.audiences, today)
    return counted


def test_the_counters_follow_subscribe_confirm_unsubscribe_and_erase(
    user, container, outbox
) -> None:
    user.subscribe("pat@example.org", audience="schools")
    assert _census(container).by_audience["schools"]["pending"] == 1
    _confirm(user, outbox, "kim@example.org")
    census = _census(container)
    assert census.by_audience["schools"] == {"pending": 1, "confirmed": 1}
    assert sum(census.confirmed_by_month["schools"].values()) == 1
    kim = container.subscriber_store.get(subscriber_key("kim@example.org"))
    container.subscriptions.unsubscribe(kim.link_id)
    container.subscriptions.unsubscribe(kim.link_id)  # a second press changes nothing
    census = _census(container)
    assert census.by_audience["schools"]["confirmed"] == 0
    assert census.by_audience["schools"]["unsubscribed"] == 1
    container.subscriptions.erase_key(kim.key)
    assert _census(container).by_audience["schools"]["unsubscribed"] == 0
    assert container.subscriber_store.census()["erased"] == 1


def test_an_expired_pending_record_stops_counting_without_a_write(user, container) -> None:
    user.subscribe("late@example.org", audience="schools")
    table = container.table(container.settings.subscribers_table)
    next_month = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=30)
    later = take_census(table, container.vocabulary.audiences, next_month)
    assert later.by_audience["schools"]["pending"] == 0  # TTL deletes it late, or never on moto


def test_confirming_stores_basis_source_and_the_words_shown_once(user, container, outbox):
    _confirm(user, outbox, "kim@example.org")
    _confirm(user, outbox, "lee@example.org")
    kim = container.subscriber_store.get(subscriber_key("kim@example.org"))
    lee = container.subscriber_store.get(subscriber_key("lee@example.org"))
    assert kim.status is Status.CONFIRMED and kim.basis == "consent"
    assert kim.source == "form:subscribe-form-2026-12-choice"
    assert kim.consent.statement_id == lee.consent.statement_id
    assert kim.consent.statement_id.startswith("subscribe-form-2026-12-choice#")
    shown = container.subscriber_store.statement(kim.consent.statement_id)
    assert shown.statement == kim.consent.statement
    assert "We will email you a link to confirm." in shown.form_text
    assert "Topics I am interested in:" in shown.form_text
    page = user.client.get("/subscribe").get_data(as_text=True)
    assert "We will email you a link to confirm. Nothing is sent until you press it." in page
    table = container.table(container.settings.subscribers_table)
    statements = [i for i in table.resource.scan()["Items"] if i["pk"].startswith("statement#")]
    assert len(statements) == 1  # once per version, however many confirm
    exported = container.subscriptions.export(kim.link_id)
    assert exported["lawful_basis"] == "consent"
    assert exported["consent"]["what_you_were_shown"] == shown.form_text
    container.subscriptions.unsubscribe(kim.link_id)
    after = container.subscriber_store.get(kim.key)
    assert container.subscriptions.export_record(after)["withdrawn"] == {
        "at": after.withdrawn_at,
        "how": "by the subscriber",
    }
