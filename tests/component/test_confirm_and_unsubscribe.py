"""Confirming by POST only, and one-click unsubscribe (RFC 8058)."""

from __future__ import annotations

import time

import pytest

from mailer.subscribers.model import Status, Subscriber, subscriber_key
from mailer.subscribers.tokens import Purpose, Tokens


def _confirm_path(user, outbox, address: str) -> str:
    user.subscribe(address)
    return user.path(outbox.link(outbox.to(address)[-1], "/confirm/"))


def test_fetching_the_confirm_link_confirms_nothing(user, store, outbox) -> None:
    """School mail scanners fetch every link: a GET must leave the subscriber pending."""
    path = _confirm_path(user, outbox, "scanned@example.org")
    for _ in range(3):
        page = user.client.get(path)
        assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Yes, subscribe me" in html and "data-autosubmit" in html
    assert "autosubmit.js" in html
    assert store.get(subscriber_key("scanned@example.org")).status is Status.PENDING
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert page.headers["Cache-Control"] == "no-store"


def test_pressing_the_button_confirms_and_stores_consent_evidence(user, store, outbox) -> None:
    path = _confirm_path(user, outbox, "keen@example.org")
    response = user.post_form(path, path)
    assert response.status_code == 200
    assert "You are subscribed" in response.get_data(as_text=True)
    stored = store.get(subscriber_key("keen@example.org"))
    assert stored.status is Status.CONFIRMED and stored.expires_at is None
    assert stored.consent.form_version == "subscribe-form-2026-11"
    assert "monthly email digest" in stored.consent.statement
    assert stored.consent.at == stored.confirmed_at


def test_confirming_twice_is_harmless(user, store, outbox) -> None:
    path = _confirm_path(user, outbox, "twice@example.org")
    first = user.post_form(path, path)
    confirmed_at = store.get(subscriber_key("twice@example.org")).confirmed_at
    second = user.post_form(path, path)
    assert first.status_code == second.status_code == 200
    assert store.get(subscriber_key("twice@example.org")).confirmed_at == confirmed_at


def test_confirm_post_without_csrf_token_changes_nothing(user, store, outbox) -> None:
    path = _confirm_path(user, outbox, "forged@example.org")
    response = user.client.post(path, data={})
    assert response.status_code == 400
    assert store.get(subscriber_key("forged@example.org")).status is Status.PENDING


def test_expired_pending_record_cannot_be_confirmed(user, store, outbox) -> None:
    """DynamoDB TTL deletes late (moto never): the code checks the expiry time itself."""
    path = _confirm_path(user, outbox, "late@example.org")
    key = subscriber_key("late@example.org")
    from dataclasses import replace

    stale = replace(store.get(key), expires_at=int(time.time()) - 1)
    store.put(stale)
    response = user.post_form(path, path)
    assert response.status_code == 410
    assert "subscribe again" in response.get_data(as_text=True).lower()


@pytest.mark.parametrize("route", ["/confirm/", "/unsubscribe/", "/preferences/"])
def test_tampered_and_wrong_purpose_tokens_are_refused(client, container, route) -> None:
    key = subscriber_key("someone@example.org")
    wrong = {
        "/confirm/": Purpose.MANAGE,
        "/unsubscribe/": Purpose.CONFIRM,
        "/preferences/": Purpose.UNSUBSCRIBE,
    }[route]
    for token in (
        "garbage",
        container.tokens.make(wrong, key),
        container.tokens.make(wrong, key)[:-2] + "xx",
    ):
        response = client.get(route + token)
        assert response.status_code == 400
        assert "not valid" in response.get_data(as_text=True)


def test_expired_token_says_so(client, container) -> None:
    eight_days_ago = Tokens(container.clients.secret_key, lambda: time.time() - 8 * 24 * 3600)
    token = eight_days_ago.make(Purpose.CONFIRM, subscriber_key("old@example.org"))
    response = client.get(f"/confirm/{token}")
    assert response.status_code == 410
    assert "expired" in response.get_data(as_text=True)


def _confirmed(container, address: str) -> str:
    key = subscriber_key(address)
    container.subscriber_store.put(
        Subscriber(
            key=key, email=address, audience="individuals", status=Status.CONFIRMED, updated_at="t0"
        )
    )
    return key


def test_one_click_unsubscribe_needs_no_cookie_or_csrf_and_answers_200(
    app, container, store
) -> None:
    key = _confirmed(container, "leaving@example.org")
    url = container.links.unsubscribe(key).removeprefix(container.settings.site_url)
    mail_client = app.test_client(use_cookies=False)
    response = mail_client.post(
        url, data="List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert store.get(key).status is Status.UNSUBSCRIBED
    again = mail_client.post(
        url, data="List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert again.status_code == 200
    assert store.get(key).status is Status.UNSUBSCRIBED


def test_unsubscribe_link_get_shows_a_button_and_changes_nothing(client, container, store) -> None:
    key = _confirmed(container, "looking@example.org")
    url = container.links.unsubscribe(key).removeprefix(container.settings.site_url)
    page = client.get(url)
    assert page.status_code == 200
    assert '<button type="submit">Unsubscribe</button>' in page.get_data(as_text=True)
    assert store.get(key).status is Status.CONFIRMED
    assert client.post(url).status_code == 200  # the page's button
    assert store.get(key).status is Status.UNSUBSCRIBED


def test_unsubscribed_address_is_out_of_the_send_index(container, store) -> None:
    """Takes effect before the next send: the planner's Query no longer finds them."""
    key = _confirmed(container, "gone@example.org")
    assert [s.key for s in store.confirmed("individuals")] == [key]
    container.subscriptions.unsubscribe(key)
    assert list(store.confirmed("individuals")) == []


def test_one_click_answer_holds_no_manage_link(app, container) -> None:
    """Mail providers post the unsubscribe URL: its answer must not hand out a manage link."""
    key = _confirmed(container, "private@example.org")
    url = container.links.unsubscribe(key).removeprefix(container.settings.site_url)
    html = (
        app.test_client(use_cookies=False)
        .post(
            url, data="List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
        )
        .get_data(as_text=True)
    )
    assert "/preferences/" not in html
    assert "You are unsubscribed" in html


def test_a_damaged_token_of_the_right_purpose_is_refused(client, container) -> None:
    key = subscriber_key("someone@example.org")
    for purpose, route in [
        (Purpose.CONFIRM, "/confirm/"),
        (Purpose.MANAGE, "/preferences/"),
        (Purpose.UNSUBSCRIBE, "/unsubscribe/"),
    ]:
        token = container.tokens.make(purpose, key)
        damaged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
        for method in ("GET", "POST"):
            response = client.open(route + damaged, method=method)
            assert response.status_code == 400, (route, method)
