"""Digest periods and which resources a digest picks, in which order."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailer.campaigns.model import Period
from mailer.campaigns.selection import select_resources
from mailer.catalogue.schema import Resource
from mailer.errors import MailerError

PERIOD = Period(2026, 12)  # sent 2026-12-01: new = added in November; nothing from December on
NEW = dt.date(2026, 11, 20)
OLD = dt.date(2025, 3, 1)


# --- Period -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2026-12", Period(2026, 12)), ("2027-01", Period(2027, 1)), (" 2026-05 ", Period(2026, 5))],
)
def test_period_parse_good(text: str, expected: Period) -> None:
    """YYYY-MM parses, surrounding spaces ignored."""
    assert Period.parse(text) == expected


@pytest.mark.parametrize("text", ["2026-13", "2026-00", "2026-1", "26-12", "2026/12", "", "Dec"])
def test_period_parse_bad_gives_clear_error(text: str) -> None:
    """Anything but YYYY-MM is a MailerError that shows the expected form and the input."""
    with pytest.raises(MailerError, match="period must be YYYY-MM") as caught:
        Period.parse(text)
    assert repr(text) in str(caught.value)


def test_period_str_round_trips() -> None:
    """str(period) is the YYYY-MM form parse() accepts."""
    assert str(Period(2026, 3)) == "2026-03"
    assert Period.parse(str(Period(2026, 3))) == Period(2026, 3)


def test_period_previous_and_next_cross_year_boundary() -> None:
    """January's previous month is last December; December's next is next January."""
    assert Period(2027, 1).previous == Period(2026, 12)
    assert Period(2026, 12).next == Period(2027, 1)
    assert Period(2026, 6).previous == Period(2026, 5)
    assert Period(2026, 6).next == Period(2026, 7)


def test_period_label_and_start() -> None:
    """The label is the month as people write it; start is its first day."""
    assert Period(2026, 12).label == "December 2026"
    assert Period(2026, 12).start == dt.date(2026, 12, 1)


def test_periods_order_chronologically() -> None:
    """Periods sort by year then month."""
    assert sorted([Period(2027, 1), Period(2026, 12), Period(2026, 2)]) == [
        Period(2026, 2),
        Period(2026, 12),
        Period(2027, 1),
    ]


def test_period_parse_refuses_year_zero() -> None:
    """A period that cannot be turned into a date should be refused when parsed."""
    with pytest.raises(MailerError):
        Period.parse("0000-05")


# --- select_resources: examples ---------------------------------------------------------------


def ids(picks: list[Any]) -> list[str]:
    return [p.resource.id for p in picks]


def test_only_the_given_audience(make_resource: Callable[..., Resource]) -> None:
    """Schools never get a resource tagged only for individuals."""
    resources = [
        make_resource(id="for-schools", audiences=["schools"], added=NEW),
        make_resource(id="for-individuals", audiences=["individuals"], added=NEW),
        make_resource(id="for-both", audiences=["individuals", "schools"], added=NEW),
    ]
    picks = select_resources(resources, "schools", None, PERIOD)
    assert sorted(ids(picks)) == ["for-both", "for-schools"]


def test_topic_filter(make_resource: Callable[..., Resource]) -> None:
    """With topics chosen, only resources sharing one of them are picked."""
    resources = [
        make_resource(id="housing", topics=["housing"], added=NEW),
        make_resource(id="workers", topics=["domestic-workers"], added=NEW),
        make_resource(id="both", topics=["housing", "right-to-work"], added=NEW),
    ]
    picks = select_resources(resources, "individuals", ["housing", "right-to-work"], PERIOD)
    assert sorted(ids(picks)) == ["both", "housing"]
    assert {p.resource.id: p.topic_matches for p in picks} == {"both": 2, "housing": 1}


def test_no_topics_means_all_topics(make_resource: Callable[..., Resource]) -> None:
    """An empty topic list picks from every topic."""
    resources = [
        make_resource(id="housing", topics=["housing"], added=NEW),
        make_resource(id="workers", topics=["domestic-workers"], added=NEW),
    ]
    assert sorted(ids(select_resources(resources, "individuals", [], PERIOD))) == [
        "housing",
        "workers",
    ]


def test_new_ones_come_first(make_resource: Callable[..., Resource]) -> None:
    """Resources added since the last digest lead, even if older ones match better."""
    resources = [
        make_resource(id="old-great-match", topics=["housing", "survivor-support"], added=OLD),
        make_resource(id="new-match", topics=["housing"], added=NEW),
    ]
    picks = select_resources(resources, "individuals", ["housing", "survivor-support"], PERIOD)
    assert ids(picks) == ["new-match", "old-great-match"]
    assert [p.is_new for p in picks] == [True, False]


def test_new_since_defaults_to_first_of_previous_month(
    make_resource: Callable[..., Resource],
) -> None:
    """Added on 1 November counts as new in the December digest; 31 October does not."""
    resources = [
        make_resource(id="nov-1", added=dt.date(2026, 11, 1)),
        make_resource(id="oct-31", added=dt.date(2026, 10, 31)),
    ]
    picks = select_resources(resources, "individuals", None, PERIOD)
    assert {p.resource.id: p.is_new for p in picks} == {"nov-1": True, "oct-31": False}


def test_explicit_new_since(make_resource: Callable[..., Resource]) -> None:
    """A given new_since moves the line between new and evergreen."""
    resources = [make_resource(id="mid-nov", added=dt.date(2026, 11, 15))]
    picks = select_resources(resources, "individuals", None, PERIOD, new_since=dt.date(2026, 12, 1))
    assert [p.is_new for p in picks] == [False]


def test_better_topic_matches_ranked_first(make_resource: Callable[..., Resource]) -> None:
    """Among new resources, the one sharing more of the reader's topics comes first."""
    topics = ["housing", "survivor-support", "right-to-work"]
    resources = [
        make_resource(id="one", topics=["housing"], added=NEW, published="2025"),
        make_resource(id="three", topics=topics, added=NEW, published="2017"),
        make_resource(id="two", topics=["housing", "right-to-work"], added=NEW, published="2020"),
    ]
    assert ids(select_resources(resources, "individuals", topics, PERIOD)) == [
        "three",
        "two",
        "one",
    ]


def test_equal_matches_newest_published_first(make_resource: Callable[..., Resource]) -> None:
    """With equal topic matches, the most recently published comes first, undated last."""
    resources = [
        make_resource(id="undated", published="", added=NEW),
        make_resource(id="p2019", published="2019-09", added=NEW),
        make_resource(id="p2024", published="2024", added=NEW),
    ]
    assert ids(select_resources(resources, "individuals", None, PERIOD)) == [
        "p2024",
        "p2019",
        "undated",
    ]


def test_evergreen_fills_up_to_min_items_when_little_is_new(
    make_resource: Callable[..., Resource],
) -> None:
    """One new resource plus evergreen ones, up to min_items in all."""
    resources = [make_resource(id="new", added=NEW)] + [
        make_resource(id=f"old-{i}", added=OLD) for i in range(5)
    ]
    picks = select_resources(resources, "individuals", None, PERIOD, min_items=3)
    assert len(picks) == 3
    assert [p.is_new for p in picks] == [True, False, False]


def test_nothing_new_gives_min_items_evergreen(make_resource: Callable[..., Resource]) -> None:
    """A quiet month still sends min_items useful resources."""
    resources = [make_resource(id=f"old-{i}", added=OLD) for i in range(5)]
    picks = select_resources(resources, "individuals", None, PERIOD, min_items=3)
    assert len(picks) == 3
    assert not any(p.is_new for p in picks)


def test_no_evergreen_when_enough_new(make_resource: Callable[..., Resource]) -> None:
    """When min_items new resources exist, no evergreen ones are added."""
    resources = [make_resource(id=f"new-{i}", added=NEW) for i in range(3)] + [
        make_resource(id=f"old-{i}", added=OLD) for i in range(3)
    ]
    picks = select_resources(resources, "individuals", None, PERIOD, min_items=3)
    assert sorted(ids(picks)) == ["new-0", "new-1", "new-2"]


def test_max_items_caps_new_ones(make_resource: Callable[..., Resource]) -> None:
    """A busy month is capped at max_items, keeping the best-matching ones."""
    resources = [make_resource(id=f"new-{i}", added=NEW) for i in range(8)] + [
        make_resource(id="best", topics=["housing", "survivor-support"], added=NEW)
    ]
    picks = select_resources(resources, "individuals", ["housing", "survivor-support"], PERIOD)
    assert len(picks) == 6
    assert ids(picks)[0] == "best"


def test_resources_added_after_the_period_are_excluded(
    make_resource: Callable[..., Resource],
) -> None:
    """The December digest goes out on 1 December: later additions wait for January's."""
    resources = [
        make_resource(id="in-november", added=dt.date(2026, 11, 30)),
        make_resource(id="in-december", added=dt.date(2026, 12, 1)),
    ]
    assert ids(select_resources(resources, "individuals", None, PERIOD)) == ["in-november"]
    january = select_resources(resources, "individuals", None, PERIOD.next)
    assert [(p.resource.id, p.is_new) for p in january] == [
        ("in-december", True),
        ("in-november", False),
    ], "each resource is new in exactly one digest"


def test_nothing_for_an_audience_gives_empty_list(make_resource: Callable[..., Resource]) -> None:
    """No matching resources is an empty digest list, not an error."""
    resources = [make_resource(id="only-individuals", audiences=["individuals"], added=NEW)]
    assert select_resources(resources, "schools", None, PERIOD) == []


def test_real_catalogue_picks_for_each_audience(real_catalogue: Any) -> None:
    """Every audience gets a full first digest (December 2026) from the real catalogue."""
    for audience in ("schools", "faith-groups", "individuals"):
        picks = select_resources(real_catalogue.resources, audience, None, Period(2026, 12))
        assert 3 <= len(picks) <= 6
        assert all(audience in p.resource.audiences for p in picks)


# --- select_resources: properties -------------------------------------------------------------

AUDIENCES = ["schools", "faith-groups", "individuals"]
TOPICS = ["housing", "survivor-support", "right-to-work", "domestic-workers", "law-and-policy"]

resource_specs = st.lists(
    st.tuples(
        st.lists(st.sampled_from(AUDIENCES), min_size=1, max_size=3, unique=True),
        st.lists(st.sampled_from(TOPICS), min_size=1, max_size=3, unique=True),
        st.dates(dt.date(2026, 6, 1), dt.date(2027, 3, 1)),
        st.sampled_from(["", "2017", "2022-04", "2024"]),
    ),
    max_size=15,
)


@settings(deadline=None)
@given(
    specs=resource_specs,
    audience=st.sampled_from(AUDIENCES),
    topics=st.lists(st.sampled_from(TOPICS), max_size=3, unique=True),
    max_items=st.integers(0, 8),
    min_items=st.integers(0, 8),
)
def test_picks_obey_their_rules(
    make_resource: Callable[..., Resource],
    specs: list[tuple[list[str], list[str], dt.date, str]],
    audience: str,
    topics: list[str],
    max_items: int,
    min_items: int,
) -> None:
    """Any catalogue: right audience and topic, no repeats, capped, new before evergreen."""
    resources = [
        make_resource(id=f"r-{i}", audiences=a, topics=t, added=added, published=published)
        for i, (a, t, added, published) in enumerate(specs)
    ]
    picks = select_resources(
        resources, audience, topics, PERIOD, max_items=max_items, min_items=min_items
    )
    assert len(picks) <= max_items
    assert len(ids(picks)) == len(set(ids(picks)))
    for pick in picks:
        assert audience in pick.resource.audiences
        assert pick.resource.added < dt.date(2026, 12, 1)
        if topics:
            assert set(topics) & set(pick.resource.topics)
        assert pick.is_new == (pick.resource.added >= dt.date(2026, 11, 1))
    flags = [p.is_new for p in picks]
    assert flags == sorted(flags, reverse=True), "an evergreen pick came before a new one"
    evergreen = flags.count(False)
    assert evergreen <= max(0, min_items - flags.count(True))
    eligible = [
        r
        for r in resources
        if audience in r.audiences
        and r.added < dt.date(2026, 12, 1)
        and (not topics or set(topics) & set(r.topics))
    ]
    if len(picks) < min(min_items, max_items):
        assert len(picks) == len(eligible), "digest left short although more was eligible"
