"""Generated input thrown at every public route: never a 5xx, and the stored subscriber changes
only when a request carries everything a genuine change needs (a POST to a changing route with
that subscriber's own, unexpired token for it). Examples per run: the Hypothesis profile's."""

from __future__ import annotations

import re
import time
from urllib.parse import quote, unquote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailer.subscribers.model import Status, Subscriber
from mailer.subscribers.tokens import Purpose, TokenError, Tokens
from tests.support.keys import subscriber_key

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
    # The public archive and feeds (issue 17)
    "/archive/",
    "/archive/schools/",
    "/archive/schools/digest-2026-12",
    "/feeds/schools.atom",
]
TOKEN_ROUTES = [
    "/confirm/{}",
    "/unsubscribe/{}",
    "/preferences/{}",
    "/preferences/{}/export",
    "/preferences/{}/erase",
    "/preferences/{}/unsubscribe",
    "/resources/{}",
    "/archive/{}/",
    "/archive/schools/{}",
    "/archive/{}/digest-2026-12",
    "/feeds/{}.atom",
]
FIELDS = [
    "email",
    "name",
    "audience",
    "topics",
    "mailings",
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
    "digest",
    "announcements",
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

# The routes that may change a stored subscriber, and the token purpose each needs.
CHANGING_ROUTES = {
    "/unsubscribe/{}": Purpose.UNSUBSCRIBE,
    "/preferences/{}": Purpose.MANAGE,
    "/preferences/{}/erase": Purpose.MANAGE,
    "/preferences/{}/unsubscribe": Purpose.MANAGE,
}

fuzzed = {"requests": 0, "5xx": 0, "changed": 0}


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


def _tokens(container, link_id: str) -> list[str]:
    """Tokens worth trying: every purpose for the seeded subscriber, damaged and expired ones."""
    good = [container.tokens.make(p, link_id) for p in Purpose]
    long_ago = Tokens(container.clients.secret_key, lambda: time.time() - 500 * 24 * 3600)
    expired = [long_ago.make(p, link_id) for p in Purpose]
    return good + expired + [t[:-3] + "abc" for t in good] + [t[:20] for t in good]


def _may_change(container, method: str, path: str, link_id: str) -> bool:
    """True only for a POST to a changing route with the subscriber's own token for it."""
    if method != "POST":
        return False
    for route, purpose in CHANGING_ROUTES.items():
        prefix, _, suffix = route.partition("{}")
        if not (path.startswith(prefix) and path.endswith(suffix)):
            continue
        token = unquote(path.removeprefix(prefix).removesuffix(suffix))
        if "/" in token:
            continue
        try:
            if container.tokens.read(purpose, token) == link_id:
                return True
        except TokenError:
            continue
    return False


@settings(
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
    manage = container.links.manage(seeded).removeprefix(container.settings.site_url)
    session_page = client.get(manage).get_data(as_text=True)
    session_token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', session_page)[1]
    method = data.draw(st.sampled_from(METHODS), label="method")
    token = data.draw(
        st.one_of(st.sampled_from(_tokens(container, seeded.link_id)), st.text(max_size=200)),
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
    if stored != seeded:  # whatever the status code, only a genuine request may change it
        fuzzed["changed"] += 1
        assert _may_change(container, method, path, seeded.link_id), (method, path, form, status)


@pytest.fixture(scope="module", autouse=True)
def _figures_for_the_record():
    """After the module: the figures for the issue note (run with -s to see them)."""
    yield
    print(
        f"\nfuzzed requests: {fuzzed['requests']}, 5xx answers: {fuzzed['5xx']}, "
        f"genuine changes: {fuzzed['changed']}; data-protection pages: "
        f"{protection_fuzzed['requests']} requests, {protection_fuzzed['5xx']} 5xx, "
        f"{protection_fuzzed['changed']} changes by a member's own action"
    )


# --- the staff console's resource routes, as a signed-in sender ------------------------------

STAFF_ROUTES = [
    "/staff/resources/",
    "/staff/resources/new",
    "/staff/resources/{}/edit",
    "/staff/resources/{}/retire",
    "/staff/resources/{}/restore",
    # Awareness days and the archive's hide and show (issue 17)
    "/staff/days/",
    "/staff/days/new",
    "/staff/days/{}/edit",
    "/staff/campaigns/{}/archive/hide",
    "/staff/campaigns/{}/archive/show",
]
RESOURCE_FIELDS = [
    "id",
    "title",
    "summary",
    "url",
    "published",
    "type",
    "publisher",
    "audiences",
    "topics",
    "added",
    "q",
    "junk",
    # an awareness day's
    "name",
    "yearly",
    "date",
    "resources",
    "line",
    "source",
]
BREAKING = ["\x0c", "\x01", "\x85", "\u2028", "\ufffe", "\U0010ffff", "\r\n", "\t", ""]
GOOD_RESOURCE = {
    "id": "fuzzed-resource",
    "title": "A fuzzed resource",
    "summary": "A summary long enough to pass the catalogue's minimum length.",
    "url": "",
    "published": "2026",
    "type": "briefing",
    "publisher": "ATMG",
    "audiences": ["schools"],
    "topics": ["housing"],
    "added": "2026-11-30",
}
GOOD_DAY = {
    "id": "fuzzed-day",
    "name": "A fuzzed day",
    "yearly": "10-18",
    "audiences": ["schools"],
    "resources": "safe-homes, agents-for-change-2020",
    "line": "A line long enough for an awareness day.",
    "source": "The fuzzer's own calendar",
}
staff_values = st.one_of(
    values,
    st.sampled_from(BREAKING),
    st.sampled_from(
        sorted({v for v in [*GOOD_RESOURCE.values(), *GOOD_DAY.values()] if isinstance(v, str)})
    ),
    st.builds(lambda a, b, c: a + b + c, values, st.sampled_from(BREAKING), values),
)
staff_fuzzed = {"requests": 0, "5xx": 0, "changed": 0}


@settings(
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_no_staff_resource_route_answers_5xx_or_stores_text_that_breaks_an_email(
    staff_browser, staff, data
) -> None:
    """Generated forms on add, edit, retire and restore (issue 16): never a 5xx; without the
    session's CSRF token nothing changes; nothing stored holds a character that breaks mjml."""
    from mailer import text
    from tests.support.staff import form_token, signed_in_as_sender

    if not staff_browser.get_cookie("staff_session", path="/staff"):
        signed_in_as_sender(staff_browser)
    if not hasattr(staff_browser, "fuzz_csrf_token"):  # one session, so one token throughout
        page = staff_browser.get("/staff/resources/new").get_data(as_text=True)
        staff_browser.fuzz_csrf_token = form_token(page)
    token = staff_browser.fuzz_csrf_token
    resource_id = data.draw(
        st.sampled_from(
            [
                *("safe-homes", "safe-homes", GOOD_RESOURCE["id"], "no-such-resource"),
                *("anti-slavery-day", "digest#2026-12", "announcement#safe-homes"),
            ]
        )
        | st.text(max_size=80),
        label="resource id",
    )
    route = data.draw(st.sampled_from(STAFF_ROUTES), label="route")
    path = route.format(quote(resource_id, safe="")) if "{}" in route else route
    method = data.draw(st.sampled_from(["GET", "HEAD", "PUT"] + ["POST"] * 4), label="method")
    # Half the time a good resource with a few fields spoiled, so saves that succeed (and
    # retire and restore) are exercised as well as refusals.
    form = dict(data.draw(st.sampled_from([{}, GOOD_RESOURCE, GOOD_DAY]), label="start from"))
    form.update(
        data.draw(
            st.dictionaries(
                st.sampled_from(RESOURCE_FIELDS),
                st.one_of(staff_values, st.lists(staff_values, max_size=3)),
                max_size=3,
            ),
            label="spoiled fields",
        )
    )
    with_token = data.draw(st.sampled_from([True, True, True, False]), label="csrf")
    if with_token:
        form["csrf_token"] = token
    everything = staff.table(staff.settings.catalogue_table).resource
    before = sorted(everything.scan()["Items"], key=lambda item: item["id"])  # days too
    with staff_browser.open(path, method=method, data=form) as response:
        status = response.status_code
    staff_fuzzed["requests"] += 1
    staff_fuzzed["5xx"] += status >= 500
    assert status < 500, (method, path, form)
    after = sorted(everything.scan()["Items"], key=lambda item: item["id"])
    if after != before:
        staff_fuzzed["changed"] += 1
        assert method == "POST" and with_token, (method, path, form, status)
    for item in after:
        fields = (
            (("name", True), ("line", True), ("source", True))
            if "day_id" in item
            else (("title", True), ("summary", False), ("publisher", True))
        )
        for name, one_line in fields:
            assert text.problem(item[name], name, one_line=one_line) is None, item


@pytest.fixture(scope="module", autouse=True)
def _staff_figures_for_the_record():
    """After the module: the staff routes' figures (run with -s to see them)."""
    yield
    print(
        f"\nstaff resource routes: {staff_fuzzed['requests']} requests, "
        f"5xx answers: {staff_fuzzed['5xx']}, changes (all with the CSRF token): "
        f"{staff_fuzzed['changed']}"
    )


# --- issue 18: the data-protection pages, fuzzed by a signed-in member ----------------------

STAFF_PATHS = [
    "/staff/people/",
    "/staff/people/unsubscribe",
    "/staff/people/erase",
    "/staff/people/export",
    "/staff/people/manage-link",
    "/staff/suppressions/",
    "/staff/suppressions/find",
    "/staff/suppressions/add",
    "/staff/suppressions/remove",
    "/staff/imports/",
    "/staff/imports/{}",
    "/staff/imports/{}/dry-run",
    "/staff/imports/{}/import",
    "/staff/imports/{}/report.csv",
    "/staff/export/",
]
STAFF_FIELDS = [
    "email",
    "subscriber",
    "reason",
    "confirm",
    "source",
    "basis",
    "collected_directly",
    "collected_on",
    "audience",
    "csrf_token",
]
# The routes by which a member may change the seeded subscriber, given its key.
STAFF_CHANGING = ("/staff/people/unsubscribe", "/staff/people/erase")
protection_fuzzed = {"requests": 0, "5xx": 0, "changed": 0}


@settings(
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_no_data_protection_route_answers_5xx_or_changes_a_subscriber_unasked(
    staff, staff_browser, data
) -> None:
    from tests.support.data_protection import signed_in_as_data_protection

    if not staff_browser.get_cookie("staff_session", path="/staff"):
        signed_in_as_data_protection(staff_browser)
    seeded = _seeded(staff)
    page = staff_browser.get("/staff/people/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)[1]
    batch_id = data.draw(st.sampled_from(["a" * 32, "../x", "", "0" * 64, "zz"]), label="batch")
    path = data.draw(st.sampled_from(STAFF_PATHS), label="path").format(quote(batch_id, safe=""))
    method = data.draw(st.sampled_from(["GET", "POST", "PUT", "DELETE"]), label="method")
    field_values = st.one_of(values, st.sampled_from([seeded.key, "ana@example.org", "schools"]))
    form = data.draw(
        st.dictionaries(st.sampled_from(STAFF_FIELDS), field_values, max_size=6), label="form"
    )
    if "csrf_token" not in form and data.draw(st.booleans(), label="real csrf"):
        form["csrf_token"] = token
    with staff_browser.open(path, method=method, data=form) as response:
        status = response.status_code
    protection_fuzzed["requests"] += 1
    protection_fuzzed["5xx"] += status >= 500
    assert status < 500, (method, path, form)
    stored = staff.subscriber_store.get(seeded.key)
    if stored != seeded:
        protection_fuzzed["changed"] += 1
        assert method == "POST" and path in STAFF_CHANGING, (method, path, form)
        assert form.get("subscriber") == seeded.key and form.get("csrf_token") == token


# --- issue 16: the draft routes (announcements and the month's digest), as a sender --------

DRAFT_PATHS = [
    "/staff/drafts/",
    "/staff/drafts/{}",
    "/staff/drafts/{}/test",
    "/staff/drafts/{}/approve",
    "/staff/drafts/{}/send",
    "/staff/drafts/{}/discard",
    "/staff/drafts/{}/schedule",  # issue 17, item 4
    "/staff/drafts/{}/unschedule",
    "/staff/drafts/{}/preview/faith-groups.html",
    "/staff/drafts/{}/preview/{}.html",
    "/staff/digest",
    "/staff/digest/prepare",
    "/staff/digest/schools.html",
    "/staff/digest/{}.html",
    "/staff/announce/safe-homes",
    "/staff/announce/{}",
]
DRAFT_FIELDS = [
    "version",
    "confirmed",
    "audiences",
    "message",
    "subject_individuals",
    "subject_faith_groups",
    "subject__faith_groups",
    "subject__schools",
    "place__faith_groups__safe_homes",
    "keep__faith_groups__safe_homes",
    "add__faith_groups",
    "add__schools",
    "back__individuals__safe_homes",
    "day",
    "time",
]
drafts_fuzzed = {"requests": 0, "5xx": 0}


@settings(
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_no_draft_route_answers_5xx_or_stores_text_that_breaks_an_email(
    staff, staff_browser, data
) -> None:
    """Generated presses and forms on every draft route: never a 5xx; no campaign starts
    without a sender's confirmed press carrying the session's CSRF token; nothing a draft
    stores holds a character that breaks an email."""
    from mailer import text
    from tests.support.staff import form_token, signed_in_as_sender

    if not staff_browser.get_cookie("staff_session", path="/staff"):
        signed_in_as_sender(staff_browser)
    if not hasattr(staff_browser, "fuzz_drafts"):
        resource = staff.catalogue_store.get("safe-homes", staff.vocabulary)[0]
        announcement = staff.approvals.start(resource, "sender@charity.example.org")
        digest, _ = staff.digests.prepare(staff.digests.next_period())
        page = staff_browser.get("/staff/drafts/").get_data(as_text=True)
        staff_browser.fuzz_drafts = ([announcement.id, digest.id], form_token(page))
    ids, token = staff_browser.fuzz_drafts
    draft_id = data.draw(st.sampled_from(ids) | st.text(max_size=30), label="draft")
    audience = data.draw(st.sampled_from(["schools", "nobody", ""]) | st.text(max_size=20))
    path = data.draw(st.sampled_from(DRAFT_PATHS), label="path")
    path = path.format(quote(draft_id, safe=""), quote(audience, safe=""))
    method = data.draw(st.sampled_from(["GET", "HEAD", "PUT"] + ["POST"] * 4), label="method")
    form = data.draw(
        st.dictionaries(
            st.sampled_from(DRAFT_FIELDS),
            st.one_of(
                staff_values,
                st.sampled_from(["1", "2", "yes", "safe-homes"]),
                st.sampled_from(["2027-01-05", "2027-03-28", "2020-01-01", "09:00", "01:30"]),
            ),
            max_size=5,
        ),
        label="form",
    )
    with_token = data.draw(st.booleans(), label="csrf")
    if with_token:
        form["csrf_token"] = token
    with staff_browser.open(path, method=method, data=form) as response:
        status = response.status_code
    drafts_fuzzed["requests"] += 1
    drafts_fuzzed["5xx"] += status >= 500
    assert status < 500, (method, path, form)
    if staff.campaigns.list():
        assert method == "POST" and with_token and form.get("confirmed") == "yes", path
    for draft in staff.drafts.list():
        for words in (draft.message, *draft.subjects.values()):
            assert text.problem(words, "subject", one_line=False) is None, draft


@pytest.fixture(scope="module", autouse=True)
def _draft_figures_for_the_record():
    """After the module: the draft routes' figures (run with -s to see them)."""
    yield
    print(f"\ndraft routes: {drafts_fuzzed['requests']} requests, 5xx: {drafts_fuzzed['5xx']}")
