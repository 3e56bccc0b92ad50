"""Issue 17, item 3: the school term calendar. A day in the summer holiday reaches schools in the
last digest before the holiday, and in no other; term time and other groups keep the lead
window."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailer.catalogue.awareness import AwarenessDay, days_within
from mailer.catalogue.schema import Vocabulary
from mailer.catalogue.terms import ENGLAND_SCHOOLS, HOLIDAY_WHY, TermCalendar

SIX_WEEKS = dt.timedelta(weeks=6)


def a_day(vocabulary: Vocabulary, **when: str) -> AwarenessDay:
    """A test-only day for schools and faith groups (not a fact: the data file has none in
    August), on a date every year or once."""
    return AwarenessDay.model_validate(
        {
            "id": "test-day",
            "name": "A test day",
            "audiences": ["schools", "faith-groups"],
            "line": "A day that exists only in these tests.",
            "source": "These tests",
            **when,
        },
        context={"vocabulary": vocabulary},
    )


def firsts(year: int) -> list[dt.date]:
    """The 1st of every month from January of `year` to December of the year after."""
    return [dt.date(y, m, 1) for y in (year, year + 1) for m in range(1, 13)]


def featured_on(
    calendar: TermCalendar, day: AwarenessDay, audience: str, year: int
) -> list[dt.date]:
    """The 1sts whose digest features `day` for `audience`, over two years from `year`."""
    return [
        start for start in firsts(year) if calendar.days_within([day], start, SIX_WEEKS, audience)
    ]


def test_a_day_in_august_reaches_schools_in_julys_digest_and_says_why(
    vocabulary: Vocabulary,
) -> None:
    day = a_day(vocabulary, yearly="08-20")  # 50 days after 1 July: beyond the lead window
    [found] = ENGLAND_SCHOOLS.days_within([day], dt.date(2027, 7, 1), SIX_WEEKS, "schools")
    assert (found.on, found.days_away, found.why) == (dt.date(2027, 8, 20), 50, HOLIDAY_WHY)
    assert featured_on(ENGLAND_SCHOOLS, day, "schools", 2027) == [
        dt.date(2027, 7, 1),
        dt.date(2028, 7, 1),
    ]
    # Faith groups keep the lead window: August's digest, with no reason given.
    [theirs] = ENGLAND_SCHOOLS.days_within([day], dt.date(2027, 8, 1), SIX_WEEKS, "faith-groups")
    assert theirs.why == ""
    assert featured_on(ENGLAND_SCHOOLS, day, "faith-groups", 2027) == [
        dt.date(2027, 8, 1),
        dt.date(2028, 8, 1),
    ]


def test_a_holiday_day_in_the_lead_window_of_an_earlier_digest_waits_for_the_last_one(
    vocabulary: Vocabulary,
) -> None:
    day = a_day(vocabulary, date="2027-07-25")
    lead = dt.timedelta(weeks=13)  # 1 May's and 1 June's windows reach it
    for start in (dt.date(2027, 5, 1), dt.date(2027, 6, 1)):
        assert ENGLAND_SCHOOLS.days_within([day], start, lead, "schools") == []
        assert days_within([day], start, lead, "schools") != []
    [found] = ENGLAND_SCHOOLS.days_within([day], dt.date(2027, 7, 1), lead, "schools")
    assert found.why == HOLIDAY_WHY


def test_term_time_days_keep_the_lead_window(vocabulary: Vocabulary) -> None:
    # 10 July and 5 September are term time: each in two digests, as the lead window says.
    for when, starts in (
        ("07-10", [dt.date(2027, 6, 1), dt.date(2027, 7, 1)]),
        ("09-05", [dt.date(2027, 8, 1), dt.date(2027, 9, 1)]),
    ):
        day = a_day(vocabulary, yearly=when)
        assert featured_on(ENGLAND_SCHOOLS, day, "schools", 2027)[:2] == starts
        for start in starts:
            [found] = ENGLAND_SCHOOLS.days_within([day], start, SIX_WEEKS, "schools")
            assert found.why == ""


def test_the_calendar_moves_the_boundary(vocabulary: Vocabulary) -> None:
    day = a_day(vocabulary, yearly="07-05")
    assert featured_on(ENGLAND_SCHOOLS, day, "schools", 2027)[:2] == [
        dt.date(2027, 6, 1),
        dt.date(2027, 7, 1),
    ]
    scotland_like = TermCalendar((6, 28), (8, 15))
    assert featured_on(scotland_like, day, "schools", 2027)[:1] == [dt.date(2027, 6, 1)]
    assert scotland_like.last_digest_before(2027) == dt.date(2027, 6, 1)
    # A holiday starting on a 1st is announced in the month before; on 1 January, in December.
    assert TermCalendar((8, 1), (8, 31)).last_digest_before(2027) == dt.date(2027, 7, 1)
    new_year = TermCalendar((1, 1), (1, 10))
    on_the_2nd = a_day(vocabulary, yearly="01-02")
    [found] = new_year.days_within([on_the_2nd], dt.date(2026, 12, 1), SIX_WEEKS, "schools")
    assert (found.on, found.why) == (dt.date(2027, 1, 2), HOLIDAY_WHY)
    assert new_year.days_within([on_the_2nd], dt.date(2027, 1, 1), SIX_WEEKS, "schools") == []


def test_only_the_groups_that_follow_it(vocabulary: Vocabulary) -> None:
    day = a_day(vocabulary, yearly="08-20")
    both = TermCalendar(audiences=frozenset({"schools", "faith-groups"}))
    assert featured_on(both, day, "faith-groups", 2027)[0] == dt.date(2027, 7, 1)
    nobody = TermCalendar(audiences=frozenset())
    assert featured_on(nobody, day, "schools", 2027)[0] == dt.date(2027, 8, 1)


@pytest.mark.parametrize(
    ("first", "last", "message"),
    [
        ((8, 31), (7, 22), "end after it starts"),
        ((7, 22), (7, 22), "end after it starts"),
        ((2, 30), (8, 31), "02-30 is not a day of the year"),
        ((7, 22), (13, 1), "13-01 is not a day of the year"),
    ],
)
def test_a_calendar_that_cannot_be_is_refused(
    first: tuple[int, int], last: tuple[int, int], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        TermCalendar(first, last)


_LEAP_DAYS = st.integers(0, 365).map(lambda n: dt.date(2024, 1, 1) + dt.timedelta(days=n))


@st.composite
def _calendars(draw: st.DrawFn) -> TermCalendar:
    first, last = sorted(draw(st.lists(_LEAP_DAYS, min_size=2, max_size=2, unique=True)))
    return TermCalendar((first.month, first.day), (last.month, last.day))


@settings(deadline=None)
@given(
    calendar=_calendars(),
    on=st.dates(dt.date(2026, 1, 1), dt.date(2030, 12, 31)),
    lead_weeks=st.integers(1, 26),
)
def test_exactly_one_digest_features_each_holiday_day_and_term_time_is_unchanged(
    vocabulary: Vocabulary, calendar: TermCalendar, on: dt.date, lead_weeks: int
) -> None:
    """Over every 1st of its year and the year before (no later 1st can feature it): a holiday
    day in exactly one schools' digest (the last before the holiday), a term-time day wherever
    the lead window puts it, and faith groups' days wherever the lead window puts them."""
    day = a_day(vocabulary, date=on.isoformat())
    lead = dt.timedelta(weeks=lead_weeks)
    starts = firsts(on.year - 1)
    schools = [s for s in starts if calendar.days_within([day], s, lead, "schools")]
    plain = [s for s in starts if days_within([day], s, lead, "schools")]
    if calendar.in_holiday(on):
        assert schools == [calendar.last_digest_before(on.year)]
    else:
        assert schools == plain
    faith = [s for s in starts if calendar.days_within([day], s, lead, "faith-groups")]
    assert faith == plain
