"""Issue 17, item 3: for schools, an awareness day in the summer holidays (SCHOOL_SUMMER_HOLIDAY,
England's 22 July to 31 August by default) is featured in the last digest before they start,
saying why, and in none after; other groups, and term time, keep the lead window."""

from __future__ import annotations

import dataclasses
import datetime as dt
import time

import pytest

from mailer.campaigns.model import Period
from mailer.catalogue.awareness import AwarenessDay
from mailer.container import Container
from tests.support.digest import FakeClock, add, add_people, drain_queue
from tests.support.mail import sent_mail
from tests.support.staff import EDITOR, SENDER, signed_in_as_sender

JULY, AUGUST = Period(2027, 7), Period(2027, 8)
JUNE_24 = dt.datetime(2027, 6, 24, 8, tzinfo=dt.UTC).timestamp()  # July's draft is prepared
WHY = "falls in the school summer holidays, so it is here before they start"
# The test day's suggestions, best first: both are for schools, individuals and faith groups.
SUGGESTED = ["agents-for-change-2020", "real-people-real-lives-2019"]


def add_test_day(staff: Container, yearly: str) -> AwarenessDay:
    """A day that exists only in these tests (the data file has no day in August to use), for
    every group, stored as staff would add it in the console."""
    day = AwarenessDay.model_validate(
        {
            "id": "test-day",
            "name": "A test day",
            "yearly": yearly,
            "audiences": ["schools", "faith-groups", "individuals"],
            "resources": SUGGESTED,
            "line": "A day that exists only in these tests.",
            "source": "These tests, not a fact",
        },
        context={"vocabulary": staff.vocabulary, "resource_ids": set(SUGGESTED)},
    )
    staff.awareness_day_store.save(day)
    return day


@pytest.fixture
def desk(staff: Container, staff_clock: FakeClock) -> Container:
    """The staff container on 24 June 2027, with the usual subscribers and Fay (faith groups)."""
    staff_clock.now = JUNE_24
    add_people(staff.subscriber_store)
    add(staff.subscriber_store, "fay@example.org", "faith-groups", (), "Fay")
    return staff


def days_of(desk: Container, period: Period) -> dict[str, list[tuple[str, str]]]:
    """Each group's featured days in the period's draft, with the reason the draft gives."""
    view = desk.digests.view(desk.digests.prepare(period)[0])
    return {a: [(o.day.name, o.why) for o in g.days] for a, g in view.groups.items()}


def to(address: str) -> list:
    return [m for m in sent_mail() if m.to == address]


def send(desk: Container, staff_clock: FakeClock, period: Period) -> None:
    """A sender approves the period's draft as it stands and the 1st sends it."""
    desk.digests.approve(desk.digests.draft_for(period), SENDER)
    staff_clock.now = dt.datetime(period.year, period.month, 1, 9, tzinfo=dt.UTC).timestamp()
    desk.digests.start(period)
    drain_queue(desk)


def test_a_day_in_august_reaches_schools_in_julys_digest(desk, staff_clock) -> None:
    add_test_day(desk, "08-20")  # 50 days after 1 July: beyond the six weeks' lead window
    view = desk.digests.view(desk.digests.prepare(JULY)[0])
    schools = view.groups["schools"]
    assert [(o.day.name, o.on, o.why) for o in schools.days] == [
        ("A test day", dt.date(2027, 8, 20), WHY)
    ]
    assert list(schools.featured_ids[:2]) == SUGGESTED  # its resources first
    assert schools.featured[0].for_day == "A test day, 20 August"
    for audience in ("faith-groups", "individuals"):
        assert view.groups[audience].days == ()
        assert all(not f.for_day for f in view.groups[audience].featured)

    send(desk, staff_clock, JULY)
    [amal] = to("amal@example.org")  # schools
    assert "Coming up: A test day, Friday 20 August. A day that exists only in these tests." in (
        amal.text
    )
    assert amal.text.index("Agents for change") < amal.text.index("Real people, real lives")
    for address in ("fay@example.org", "eli@example.org"):
        assert "Coming up" not in to(address)[0].text

    # August's digest goes out in the holidays: not again for schools; the others' lead window.
    staff_clock.now = dt.datetime(2027, 7, 25, 8, tzinfo=dt.UTC).timestamp()
    assert days_of(desk, AUGUST) == {
        "schools": [],
        "faith-groups": [("A test day", "")],
        "individuals": [("A test day", "")],
    }


def test_staff_can_take_the_holiday_day_out_of_the_schools_draft(desk, staff_clock) -> None:
    add_test_day(desk, "08-20")
    draft, _ = desk.digests.prepare(JULY)
    saved = desk.digests.save(
        draft, order={}, removed={"schools": ["day:test-day"]}, subjects={}, member=EDITOR
    )
    schools = desk.digests.view(saved).groups["schools"]
    assert schools.days == ()
    assert [(o.day.name, o.why) for o in schools.removed_days] == [("A test day", WHY)]
    assert all(not f.for_day for f in schools.featured)
    send(desk, staff_clock, JULY)
    assert "Coming up" not in to("amal@example.org")[0].text


def test_a_day_in_term_time_keeps_the_lead_window(desk, staff_clock) -> None:
    # 9 September: school is back. Not in July's digest (beyond six weeks), in August's.
    add_test_day(desk, "09-09")
    assert days_of(desk, JULY)["schools"] == []
    staff_clock.now = dt.datetime(2027, 7, 25, 8, tzinfo=dt.UTC).timestamp()
    assert days_of(desk, AUGUST)["schools"] == [("A test day", "")]


def test_the_setting_moves_the_holidays(desk, staff_clock) -> None:
    """A holiday of 28 June to 15 August: a 5 July day is June's (it is in the holidays now),
    and 20 August is term time again, so August's."""
    settings = dataclasses.replace(desk.settings, school_summer_holiday="06-28/08-15")
    elsewhere = Container(settings, desk.clients, clock=staff_clock, sleep=staff_clock.sleep)
    add_test_day(desk, "08-20")
    assert days_of(elsewhere, JULY)["schools"] == []
    staff_clock.now = dt.datetime(2027, 7, 25, 8, tzinfo=dt.UTC).timestamp()
    assert days_of(elsewhere, AUGUST)["schools"] == [("A test day", "")]
    add_test_day(desk, "07-05")  # the same day, moved
    staff_clock.now = dt.datetime(2027, 5, 25, 8, tzinfo=dt.UTC).timestamp()
    assert days_of(elsewhere, Period(2027, 6))["schools"] == [("A test day", WHY)]
    assert days_of(desk, Period(2027, 6))["schools"] == [("A test day", "")]  # England: term time


def test_the_draft_page_says_why_the_day_is_there(staff_browser, desk, staff_clock) -> None:
    """What a sender sees (signed in at the real time: moto signs its tokens with it)."""
    staff_clock.now = time.time()
    signed_in_as_sender(staff_browser)
    add_test_day(desk, "08-20")
    draft, _ = desk.digests.prepare(JULY)
    page = staff_browser.get(f"/staff/drafts/{draft.id}").get_data(as_text=True)
    assert f"Feature A test day, 20 August 2027 (it {WHY})" in page
    assert "(for A test day, 20 August)" in page
    saved = desk.digests.save(
        draft, order={}, removed={"schools": ["day:test-day"]}, subjects={}, member=EDITOR
    )
    page = staff_browser.get(f"/staff/drafts/{saved.id}").get_data(as_text=True)
    assert f"Put back A test day, 20 August 2027 (taken out; it {WHY})" in page
