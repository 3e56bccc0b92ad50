"""Issue 19, item 6: limits on mail that buttons and forms cause: one "preferences changed"
notice per subscriber per 6 hours, a per-domain daily cap on form emails (lower for domains
nobody has confirmed at), and proof of work that costs more as the hourly caps fill."""

from __future__ import annotations

import html
import json
import re

import pytest

from mailer.container import Container
from mailer.subscribers import lifecycle
from mailer.subscribers.model import Status, Subscriber
from tests.component.test_subscribe import _post
from tests.support.digest import FakeClock
from tests.support.keys import subscriber_key


@pytest.fixture
def timed(container: Container) -> tuple[Container, FakeClock]:
    """The container on a fake clock (now), with a confirmed subscriber, Ana."""
    import time

    clock = FakeClock(time.time())
    built = Container(container.settings, container.clients, clock=clock, sleep=clock.sleep)
    built.subscriber_store.put(
        Subscriber(
            key=subscriber_key("ana@example.org"),
            email="ana@example.org",
            audience="schools",
            topics=("housing",),
            status=Status.CONFIRMED,
            created_at="2026-11-01T10:00:00+00:00",
            updated_at="2026-11-01T10:05:00+00:00",
            confirmed_at="2026-11-01T10:05:00+00:00",
        )
    )
    return built, clock


def test_six_preference_saves_send_one_notice(timed, make_user, outbox) -> None:
    from web import create_app

    container, clock = timed
    ana = container.subscriber_store.get(subscriber_key("ana@example.org"))
    page = container.links.manage(ana).removeprefix(container.settings.site_url)
    user = make_user(create_app(container))
    for n in range(6):
        fields = {"audience": "schools", "topics": ["housing"], "name": f"Ana {n}"}
        response = user.post_form(page, page, fields)
        assert response.status_code == 303
        clock.advance(600)
    assert len(outbox.to("ana@example.org")) == 1  # the later five folded into the first
    saved = container.subscriber_store.get(ana.key)
    assert saved.name == "Ana 5"  # every change is saved, only the email is folded
    clock.advance(lifecycle.PREFERENCES_NOTICE_EVERY)
    user.post_form(page, page, {"audience": "schools", "topics": ["housing"], "name": "Ana again"})
    assert len(outbox.to("ana@example.org")) == 2


def test_a_catch_all_domain_gets_a_daily_cap_lower_until_someone_confirms_there(
    user, outbox, monkeypatch, container: Container
) -> None:
    monkeypatch.setattr(lifecycle, "NEW_DOMAIN_DAILY_CAP", 3)
    monkeypatch.setattr(lifecycle, "DOMAIN_DAILY_CAP", 6)
    for i in range(5):  # many mailboxes of one owner, from many networks
        _post(user, f"box{i}@catchall.example", remote_addr=f"192.0.2.{i + 1}")
    assert len(outbox.all()) == 3
    # Someone confirms at a second domain: it is no longer new, and gets the higher cap.
    _post(user, "first@known.example", remote_addr="198.51.100.1")
    confirm = user.path(re.search(r"https://\S+/confirm/\S+", outbox.all()[-1].text)[0])
    page = user.client.get(confirm).get_data(as_text=True)
    user.client.post(confirm, data={"csrf_token": user.form_token(page)})
    for i in range(8):
        _post(user, f"box{i}@known.example", remote_addr=f"203.0.113.{i + 1}")
    assert sum(1 for m in outbox.all() if m.to.endswith("@known.example")) == 6


def _cost(page: str) -> int:
    match = re.search(r"<altcha-widget challenge='([^']+)'", page)
    return int(json.loads(html.unescape(match[1]))["parameters"]["cost"])


def test_proof_of_work_costs_more_when_the_hourly_caps_are_nearly_full(
    user, outbox, monkeypatch
) -> None:
    from mailer.subscribers import proof

    monkeypatch.setattr(lifecycle, "HOURLY_CAP", 10)
    base = _cost(user.client.get("/subscribe").get_data(as_text=True))
    for i in range(7):
        _post(user, f"p{i}@d{i}.example", remote_addr=f"198.51.100.{i + 1}")
    assert _cost(user.client.get("/subscribe").get_data(as_text=True)) == base  # 70%
    _post(user, "p7@d7.example", remote_addr="198.51.100.8")  # 80%: within 20% of the cap
    dearer = user.client.get("/subscribe").get_data(as_text=True)
    assert _cost(dearer) == base * proof.PRESSURE_FACTOR
    # A person still gets through: the dearer challenge, solved, is accepted.
    _post(user, "person@d8.example", remote_addr="198.51.100.9")
    assert len(outbox.to("person@d8.example")) == 1
