"""Issue 18, item 3: the suppression list in staff hands: counts by reason, look-up, add by
hand with a reason, remove with a typed reason; every change audited; a suppressed address
gets nothing from the form or a campaign."""

from __future__ import annotations

from mailer.campaigns.model import Period
from mailer.subscribers.model import Status
from tests.support.data_protection import post, seed, signed_in_as_data_protection, staff_table_text
from tests.support.digest import drain_queue, pipeline
from tests.support.keys import subscriber_key
from tests.support.mail import Outbox

ANA, BOB = "ana.lima@example.org", "bob@example.org"
PAGE = "/staff/suppressions/"


def test_add_by_hand_then_the_form_and_a_campaign_send_nothing(
    staff, staff_browser, make_user, outbox: Outbox, clock
) -> None:
    seed(staff, ANA, name="Ana Lima")
    signed_in_as_data_protection(staff_browser)
    added = post(
        staff_browser, PAGE, PAGE + "add", email=ANA, reason="Asked by phone not to be contacted"
    )
    html = added.get_data(as_text=True)
    assert added.status_code == 200 and "Suppressed: nothing will be sent to it." in html
    assert "Added by staff (do not contact)</th><td>1" in html
    again = post(staff_browser, PAGE, PAGE + "add", email=ANA, reason="Asked again by letter")
    assert "It was suppressed already." in again.get_data(as_text=True)  # safe twice
    assert staff.subscriber_store.suppression(subscriber_key(ANA))["kind"] == "by hand"

    from web import create_app

    visitor = make_user(create_app(staff))
    visitor.subscribe("Ana.Lima@example.org")
    assert outbox.to(ANA) == []

    p = pipeline(staff, clock)
    p.planner.plan(p.planner.digest(Period.parse("2026-12")))
    drain_queue(p)
    assert outbox.to(ANA) == []
    entry = next(e for e in staff.audit_log.recent() if e.action == "suppressed an address")
    assert entry.detail["subscriber"] == subscriber_key(ANA)
    assert "ana.lima" not in staff_table_text(staff).lower()


def test_a_hard_bounce_is_removed_only_with_a_typed_reason(staff, staff_browser) -> None:
    key = subscriber_key(BOB)
    staff.subscriber_store.suppress(key, "permanent bounce", "2026-11-02T09:00:00+00:00")
    signed_in_as_data_protection(staff_browser)
    found = post(staff_browser, PAGE, PAGE + "find", email=BOB).get_data(as_text=True)
    assert "Hard bounce" in found and "Remove the suppression" in found
    for reason in ("", "ok", "bob@example.org works now"):
        refused = post(staff_browser, PAGE, PAGE + "remove", subscriber=key, reason=reason)
        assert refused.status_code == 400 and 'id="reason-error"' in refused.get_data(as_text=True)
        assert staff.subscriber_store.is_suppressed(key)
    removed = post(
        staff_browser,
        PAGE,
        PAGE + "remove",
        subscriber=key,
        reason="Their school fixed its mail server and asked in writing",
    )
    assert "Removed: the address may be emailed again." in removed.get_data(as_text=True)
    assert not staff.subscriber_store.is_suppressed(key)
    twice = post(staff_browser, PAGE, PAGE + "remove", subscriber=key, reason="pressed it twice")
    assert "It was not suppressed." in twice.get_data(as_text=True)
    [entry, _] = [e for e in staff.audit_log.recent() if e.action == "removed a suppression"]
    assert entry.detail["kind"] == "" or entry.detail["removed"] == "False"
    first = [e for e in staff.audit_log.recent() if e.action == "removed a suppression"][-1]
    assert first.detail["kind"] == "permanent bounce" and first.detail["removed"] == "True"
    assert staff.subscriber_store.census() == staff.subscriber_store.census_by_scan()


def test_counts_by_reason_come_from_the_counters(staff, staff_browser) -> None:
    store = staff.subscriber_store
    store.suppress(subscriber_key("a@example.org"), "complaint", "2026-11-02T09:00:00+00:00")
    store.suppress(subscriber_key("b@example.org"), "permanent bounce", "2026-11-02T09:00:00")
    store.suppress(subscriber_key("c@example.org"), "3 transient bounces in 30 days", "2026-11")
    signed_in_as_data_protection(staff_browser)
    html = staff_browser.get(PAGE).get_data(as_text=True)
    for label in ("Complaint (marked as spam)", "Hard bounce", "Repeated soft bounces"):
        assert f"{label}" in html
    assert store.census()["suppressed#complaint"] == 1
    assert store.census() == store.census_by_scan()
    assert staff.subscriber_store.get(subscriber_key("a@example.org")) is None
    assert Status.CONFIRMED  # the list holds keys only: no one is listed by address
