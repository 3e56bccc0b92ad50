"""Generated input thrown at every public route: never a 5xx, and no stored subscriber changes."""

from __future__ import annotations

import re
import time
from unittest import mock
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailer.subscribers.model import Status, Subscriber, subscriber_key
from mailer.subscribers.tokens import Purpose

METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]
FIXED_PATHS = [
    "/",
    "/subscribe",
    "/subscribe/embed",
    "/subscribe/check-email",
    "/resources/safe-homes",
    "/static/site.css",
    "/dev/outbox",
    "/no/such/page",
]
TOKEN_ROUTES = [
    "/confirm/{}",
    "/unsubscribe/{}",
    "/preferences/{}",
    "/preferences/{}/export",
    "/preferences/{}/erase",
    "/preferences/{}/unsubscribe",
    "/resources/{}",
]
FIELDS = [
    "email",
    "name",
    "audience",
    "topics",
    "organisation",
    "website",
    "csrf_token",
    "confirm",
    "embedded",
    "List-Unsubscribe",
    "action",
    "junk",
]
NASTY = [
    "\r\n",
    "\x00",
    "<script>alert(1)</script>",
    "a" * 5000,
    "schools",
    "housing",
    "x@example.org",
    "ana@example.org",
    "%0d%0aBcc:x",
    "{{ 7*7 }}",
    "[[ recipient ]]",
    "\u2028",
    "😀" * 50,
    "' OR 1=1 --",
]
values = st.one_of(st.text(max_size=300), st.sampled_from(NASTY))
form_data = st.dictionaries(
    st.sampled_from(FIELDS), st.one_of(values, st.lists(values, max_size=3)), max_size=8
)

fuzzed = {"requests": 0, "5xx": 0}


def _seeded(container) -> Subscriber:
    subscriber = Subscriber(
        key=subscriber_key("ana@example.org"),
        email="ana@example.org",
        audience="schools",
        topics=("housing",),
        name="Ana",
        status=Status.CONFIRMED,
        updated_at="t0",
    )
    container.subscriber_store.put(subscriber)
    return subscriber


def _tokens(container, key: str) -> list[str]:
    """Tokens worth trying: every purpose for the seeded subscriber, damaged and expired ones."""
    good = [container.tokens.make(p, key) for p in Purpose]
    with mock.patch("itsdangerous.timed.time.time", return_value=time.time() - 500 * 24 * 3600):
        expired = [container.tokens.make(p, key) for p in Purpose]
    return good + expired + [t[:-3] + "abc" for t in good] + [t[:20] for t in good]


@settings(
    max_examples=700,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_no_route_answers_5xx_or_changes_a_stored_subscriber(app, container, data) -> None:
    app.config["SUBSCRIBE_MIN_FILL_SECONDS"] = 0
    client = app.test_client()
    seeded = _seeded(container)
    form_page = client.get("/subscribe").get_data(as_text=True)
    form_token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form_page)[1]
    # A real session CSRF token too, so posts reach the preferences, erase and confirm views.
    manage = container.links.manage(seeded.key).removeprefix(container.settings.site_url)
    session_page = client.get(manage).get_data(as_text=True)
    session_token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', session_page)[1]
    method = data.draw(st.sampled_from(METHODS), label="method")
    token = data.draw(
        st.one_of(st.sampled_from(_tokens(container, seeded.key)), st.text(max_size=200)),
        label="token",
    )
    path = data.draw(
        st.one_of(
            st.sampled_from(FIXED_PATHS),
            st.sampled_from(TOKEN_ROUTES).map(lambda route: route.format(quote(token, safe=""))),
        ),
        label="path",
    )
    query = data.draw(
        st.dictionaries(st.sampled_from(["audience", "topic", "embedded"]), values, max_size=3),
        label="query",
    )
    form = data.draw(form_data, label="form")
    if "csrf_token" not in form:
        real = data.draw(st.sampled_from([None, form_token, session_token]), label="csrf")
        if real:
            form["csrf_token"] = real
    with client.open(path, method=method, query_string=query, data=form) as response:
        status = response.status_code
    fuzzed["requests"] += 1
    fuzzed["5xx"] += status >= 500
    assert status < 500, (method, path, form)
    stored = container.subscriber_store.get(seeded.key)
    if status >= 400:  # a refused request must leave what is stored exactly as it was
        assert stored == seeded, (method, path, form, status)


@pytest.fixture(scope="module", autouse=True)
def _figures_for_the_record():
    """After the module: the figures for the issue note (run with -s to see them)."""
    yield
    print(f"\nfuzzed requests: {fuzzed['requests']}, 5xx answers: {fuzzed['5xx']}")
