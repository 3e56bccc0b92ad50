"""Times a sender picks on London's clock: summer time, the hour that never happens, the hour
that happens twice, and the rules a scheduled campaign's time must meet."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailer.campaigns.send_time import (
    SendTimeError,
    check_send_time,
    london_moment,
    london_words,
    stored_moment,
)

NOW = dt.datetime(2026, 12, 2, 10, 0, tzinfo=dt.UTC)


def test_winter_and_summer_times_are_londons() -> None:
    assert london_moment(dt.date(2026, 12, 8), dt.time(9, 0)) == dt.datetime(
        2026, 12, 8, 9, 0, tzinfo=dt.UTC
    )
    assert london_moment(dt.date(2027, 7, 1), dt.time(9, 0)) == dt.datetime(
        2027, 7, 1, 8, 0, tzinfo=dt.UTC
    )
    assert london_words("2027-07-01T08:00:00+00:00") == "Thursday 1 July 2027 at 09:00 (BST)"
    assert london_words("2026-12-08T09:00:00+00:00") == "Tuesday 8 December 2026 at 09:00 (GMT)"


def test_the_hour_the_clocks_skip_is_refused_in_words() -> None:
    with pytest.raises(SendTimeError, match="01:30 does not happen in London on 28 March 2027"):
        london_moment(dt.date(2027, 3, 28), dt.time(1, 30))


def test_the_hour_that_happens_twice_means_the_first_still_in_summer_time() -> None:
    moment = london_moment(dt.date(2026, 10, 25), dt.time(1, 30))
    assert moment == dt.datetime(2026, 10, 25, 0, 30, tzinfo=dt.UTC)
    assert london_words(stored_moment(moment)).endswith("at 01:30 (BST)")


@given(
    st.dates(dt.date(2026, 1, 1), dt.date(2030, 12, 31)),
    st.times().map(lambda t: t.replace(second=0, microsecond=0)),
)
def test_every_time_that_exists_comes_back_as_it_was_chosen(day: dt.date, time: dt.time) -> None:
    try:
        moment = london_moment(day, time)
    except SendTimeError:
        return  # the skipped hour: its own test
    assert f"{day.day} {day:%B %Y} at {time:%H:%M}" in london_words(stored_moment(moment))


def test_a_time_must_be_ahead_within_a_year_and_a_digest_by_the_end_of_its_month() -> None:
    check_send_time(NOW + dt.timedelta(minutes=2), NOW)
    with pytest.raises(SendTimeError, match="at least a minute from now"):
        check_send_time(NOW + dt.timedelta(seconds=30), NOW)
    with pytest.raises(SendTimeError, match="within the next year"):
        check_send_time(NOW + dt.timedelta(days=367), NOW)
    january = dt.date(2027, 1, 1)
    check_send_time(dt.datetime(2026, 12, 18, 15, 0, tzinfo=dt.UTC), NOW, first=january)
    check_send_time(dt.datetime(2027, 1, 31, 23, 59, tzinfo=dt.UTC), NOW, first=january)
    with pytest.raises(SendTimeError, match="choose a time before January 2027 ends"):
        check_send_time(dt.datetime(2027, 2, 1, 0, 0, tzinfo=dt.UTC), NOW, first=january)
    # The month is London's: 00:30 on 1 August in London is 23:30 UTC on 31 July, yet August.
    with pytest.raises(SendTimeError, match="July 2027"):
        check_send_time(
            london_moment(dt.date(2027, 8, 1), dt.time(0, 30)), NOW, first=dt.date(2027, 7, 1)
        )
    check_send_time(
        london_moment(dt.date(2027, 7, 31), dt.time(23, 30)), NOW, first=dt.date(2027, 7, 1)
    )
