"""The staff dashboard: subscribers by group and status, and a chart drawn on the server."""

from __future__ import annotations

from mailer.campaigns.model import Period
from mailer.container import Container
from mailer.staff.dashboard import Reputation, take_census
from mailer.subscribers.model import Status
from tests.support.digest import add, add_people, drain_queue
from tests.support.keys import subscriber_key
from tests.support.staff import signed_in_as_sender


def _people(staff: Container) -> None:
    add_people(staff.subscriber_store)  # 2 schools, 1 faith group, 2 individuals, confirmed
    add(staff.subscriber_store, "pending@example.org", "schools", status=Status.PENDING)
    add(staff.subscriber_store, "gone@example.org", "individuals", status=Status.UNSUBSCRIBED)
    staff.subscriber_store.suppress(
        subscriber_key("dana@example.org"), "complaint", "2026-11-02T00:00:00+00:00"
    )


def test_the_census_counts_every_group_and_status(staff: Container) -> None:
    _people(staff)
    census = take_census(staff.table(staff.settings.subscribers_table), staff.vocabulary.audiences)
    assert dict(census.by_audience["schools"]) == {"confirmed": 2, "pending": 1}
    assert dict(census.by_audience["individuals"]) == {"confirmed": 2, "unsubscribed": 1}
    assert census.suppressed == 1
    assert census.growth("schools", ["2026-10", "2026-11", "2026-12"]) == [0, 2, 2]


def test_the_dashboard_shows_the_numbers_and_a_script_free_chart(staff_browser, staff) -> None:
    _people(staff)
    signed_in_as_sender(staff_browser)
    page = staff_browser.get("/staff/").get_data(as_text=True)
    assert '<th scope="row">Schools</th><td>1</td><td>2</td><td>0</td>' in page
    assert "Suppressed addresses (complaints and hard bounces, never mailed): 1" in page
    chart = staff_browser.get("/staff/chart.svg")
    svg = chart.get_data(as_text=True)
    assert chart.mimetype == "image/svg+xml" and "<svg" in svg
    assert "<script" not in svg and "Faith groups" in svg
    assert "default-src 'none'" in chart.headers["Content-Security-Policy"]
    # Not frameable by another site (a clickjacking page could show staff's numbers).
    assert "frame-ancestors 'none'" in chart.headers["Content-Security-Policy"]
    assert chart.headers["X-Frame-Options"] == "DENY"
    assert staff_browser.get("/staff/chart.svg").status_code == 200
    staff_browser.delete_cookie("staff_session", path="/staff")
    assert staff_browser.get("/staff/chart.svg").status_code == 303  # staff only


def test_reputation_warns_at_half_of_each_ses_review_threshold() -> None:
    assert Reputation(1000, 24, 0).warnings == []
    assert "Bounces are 2.5%" in Reputation(1000, 25, 0).warnings[0]
    assert "Complaints are 0.05%" in Reputation(10000, 0, 5).warnings[0]
    assert Reputation(0, 0, 0).bounce_rate == 0.0  # nothing sent: no division by zero


def test_bounces_and_complaints_acted_on_are_counted_for_the_dashboard(
    staff: Container, staff_browser
) -> None:
    """A digest goes to four people; one bounces and complains: the dashboard shows both rates
    against the emails sent, and warns of each."""
    from tests.support.lambda_events import load_event

    add_people(staff.subscriber_store)
    staff.planner.plan(staff.planner.digest(Period(2026, 12)))
    drain_queue(staff)
    complaint = load_event("ses_complaint")
    staff.bounces.handle(complaint)
    staff.bounces.handle(complaint)  # delivered twice, counted once
    staff.bounces.handle(load_event("ses_bounce_permanent"))
    assert staff.ses_event_markers.counts_since("2000-01-01T00:00:00+00:00") == {
        "bounce": 1,
        "complaint": 1,
    }
    signed_in_as_sender(staff_browser)
    page = staff_browser.get("/staff/").get_data(as_text=True)
    assert "Sending reputation, last 30 days" in page
    assert (
        "4 campaign email(s) sent; bounces 25.00% (SES reviews at 5%), "
        "complaints 25.000% (SES reviews at 0.1%)." in page
    )
    assert "Bounces are 25.0% of emails sent" in page
    assert "Complaints are 25.00% of emails sent" in page
