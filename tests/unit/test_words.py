"""The console's times and counts, in people's words."""

from __future__ import annotations

import pytest

from web.words import people, when


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("2026-12-01T09:00:00+00:00", "1 December 2026, 09:00"),  # GMT
        ("2026-07-01T08:00:00+00:00", "1 July 2026, 09:00"),  # British Summer Time
        ("2026-03-29T00:30:00", "29 March 2026, 00:30"),  # no zone stored: UTC
        ("", "-"),
        (None, "-"),
        ("not a time", "not a time"),
    ],
)
def test_times_are_london_times_in_words(stored: object, shown: str) -> None:
    assert when(stored) == shown


def test_counts_of_people() -> None:
    assert [people(n) for n in (0, 1, 2)] == ["0 people", "1 person", "2 people"]
