"""Confirming by POST only, and one-click unsubscribe (RFC 8058)."""

from __future__ import annotations

import time

import pytest

from mailer.subscribers.model import Status, Subscriber
from mailer.subscribers.tokens import Purpose, Tokens
from tests.support.keys import subscriber_key


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
    assert "Yes, subscribe me" in html
    assert store.get(subscriber_key("scanned@example.org")).status is Status.PENDING
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert page.headers["Cache-Control"] == "no-store"


def test_no_script_presses_the_confirm_button(user, outbox) -> None:
    """Scanners that run script must confirm nothing: the page has no script at all."""
    path = _confirm_path(user, outbox, "scripted@example.org")
    html = user.client.get(path).get_data(as_text=True)
    assert "<script" not in html and "autosubmit" not in html
    assert user.client.get("/static/autosubmit.js").status_code == 404


def test_pressing_the_button_confirms_and_stores_consent_evidence(user, store, outbox) -> None:
    path = _confirm_path(user, outbox, "keen@example.org")
    page = user.client.get(path).get_data(as_text=True)
    response = user.client.post(
        path,
        data={"csrf_token": user.form_token(page)},
        headers={"User-Agent": "Mozilla/5.0 (X11; CrOS x86_64)\x07\x1b[31m"},
    )
    assert response.status_code == 200
    assert "You are subscribed" in response.get_data(as_text=True)
    stored = store.get(subscriber_key("keen@example.org"))
    assert stored.status is Status.CONFIRMED and stored.expires_at is None
    assert stored.consent.form_version == "subscribe-form-2026-12-choice"
    assert "monthly email digest" in stored.consent.statement
    assert stored.consent.at == stored.confirmed_at
    assert stored.consent.user_agent.startswith("Mozilla/5.0 (X11; CrOS x86_64)")
    assert stored.consent.user_agent.isprintable()


def test_confirm_page_shows_what_is_being_confirmed(user, outbox) -> None:
    user.subscribe("shown@example.org", audience="faith-groups", topics=["housing"])
    path = user.path(outbox.link(outbox.to("shown@example.org")[-1], "/confirm/"))
    html = user.client.get(path).get_data(as_text=True)
    assert "<strong>faith groups</strong>" in html and "on Safe housing." in html


def test_a_second_press_says_already_confirmed_and_mints_no_manage_link(
    user, store, outbox
) -> None:
    path = _confirm_path(user, outbox, "twice@example.org")
    token = user.form_token(user.client.get(path).get_data(as_text=True))
    first = user.client.post(path, data={"csrf_token": token})
    confirmed_at = store.get(subscriber_key("twice@example.org")).confirmed_at
    assert "already confirmed" in user.client.get(path).get_data(as_text=True)
    second = user.client.post(path, data={"csrf_token": token})
    assert first.status_code == second.status_code == 200
    assert "/preferences/" in first.get_data(as_text=True)
    html = second.get_data(as_text=True)
    assert "Already confirmed" in html and "/preferences/" not in html
    assert store.get(subscriber_key("twice@example.org")).confirmed_at == confirmed_at


def test_a_rewrite_of_a_pending_record_revokes_the_earlier_confirm_link(
    user, container, store, outbox
) -> None:
    """The victim's old link must not confirm what a stranger wrote since (issue 10, item 2)."""
    old = _confirm_path(user, outbox, "victim@example.org")
    # Six hours on, a stranger submits the victim's address with other choices.
    pending = store.get(subscriber_key("victim@example.org"))
    from dataclasses import replace

    store.put(replace(pending, updated_at="2026-01-01T00:00:00+00:00"))
    user.subscribe("victim@example.org", audience="individuals", topics=["right-to-work"])
    assert len(outbox.to("victim@example.org")) == 2
    response = user.post_form(_confirm_path_of(user, outbox, "victim@example.org"), old)
    assert response.status_code == 410
    assert store.get(subscriber_key("victim@example.org")).status is Status.PENDING
    assert user.client.get(old).status_code == 410


def _confirm_path_of(user, outbox, address: str) -> str:
    return user.path(outbox.link(outbox.to(address)[-1], "/confirm/"))


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

    token = user.form_token(user.client.get(path).get_data(as_text=True))
    stale = replace(store.get(key), expires_at=int(time.time()) - 1)
    store.put(stale)
    response = user.client.post(path, data={"csrf_token": token})
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


def _confirmed(container, address: str) -> Subscriber:
    subscriber = Subscriber(
        key=subscriber_key(address),
        email=address,
        audience="individuals",
        status=Status.CONFIRMED,
        updated_at="t0",
    )
    container.subscriber_store.put(subscriber)
    return subscriber


def test_one_click_unsubscribe_needs_no_cookie_or_csrf_and_answers_200(
    app, container, store
) -> None:
    subscriber = _confirmed(container, "leaving@example.org")
    key = subscriber.key
    url = container.links.unsubscribe(subscriber).removeprefix(container.settings.site_url)
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
    subscriber = _confirmed(container, "looking@example.org")
    key = subscriber.key
    url = container.links.unsubscribe(subscriber).removeprefix(container.settings.site_url)
    page = client.get(url)
    assert page.status_code == 200
    assert '<button type="submit">Unsubscribe</button>' in page.get_data(as_text=True)
    assert store.get(key).status is Status.CONFIRMED
    assert client.post(url).status_code == 200  # the page's button
    assert store.get(key).status is Status.UNSUBSCRIBED


def test_unsubscribed_address_is_out_of_the_send_index(container, store) -> None:
    """Takes effect before the next send: the planner's Query no longer finds them."""
    subscriber = _confirmed(container, "gone@example.org")
    assert [s.key for s in store.confirmed("individuals")] == [subscriber.key]
    container.subscriptions.unsubscribe(subscriber.link_id)
    assert list(store.confirmed("individuals")) == []


def test_one_click_answer_holds_no_manage_link(app, container) -> None:
    """Mail providers post the unsubscribe URL: its answer must not hand out a manage link."""
    subscriber = _confirmed(container, "private@example.org")
    url = container.links.unsubscribe(subscriber).removeprefix(container.settings.site_url)
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


def test_unsubscribe_and_resubscribe_revoke_every_earlier_link(
    app, user, container, store, outbox
) -> None:
    """Links carry the record's random link id: unsubscribing rotates it (issue 10, item 5)."""
    subscriber = _confirmed(container, "cycle@example.org")
    manage = container.links.manage(subscriber).removeprefix(container.settings.site_url)
    unsubscribe = container.links.unsubscribe(subscriber).removeprefix(container.settings.site_url)
    assert user.client.get(manage).status_code == 200
    mail_client = app.test_client(use_cookies=False)
    assert mail_client.post(unsubscribe).status_code == 200
    assert user.client.get(manage).status_code == 404  # the old manage link is dead
    user.subscribe("cycle@example.org")  # resubscribe: a new pending record
    fresh = user.path(outbox.link(outbox.to("cycle@example.org")[-1], "/confirm/"))
    assert user.post_form(fresh, fresh).status_code == 200
    assert store.get(subscriber.key).status is Status.CONFIRMED
    assert user.client.get(manage).status_code == 404  # still dead: it showed the old record
    assert mail_client.post(unsubscribe).status_code == 200  # answers, changes nothing
    assert store.get(subscriber.key).status is Status.CONFIRMED


def test_tokens_carry_an_opaque_random_id_not_the_key(user, container, outbox) -> None:
    """Nothing in a link can be checked offline against an address (issue 10, item 6)."""
    path = _confirm_path(user, outbox, "opaque@example.org")
    carried = container.tokens.read(Purpose.CONFIRM, path.rsplit("/", 1)[1])
    assert carried != subscriber_key("opaque@example.org")
    assert len(carried) >= 22  # 128 random bits
