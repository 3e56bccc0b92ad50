"""Fixtures for the console's draft pages: the usual subscribers, and a sender signed in."""

from __future__ import annotations

import pytest

from mailer.container import Container
from tests.support.digest import add, add_people
from tests.support.staff import signed_in_as_sender


@pytest.fixture
def people(staff: Container) -> Container:
    """The usual five, plus Fay (faith groups, every topic)."""
    add_people(staff.subscriber_store)
    add(staff.subscriber_store, "fay@example.org", "faith-groups", (), "Fay")
    return staff


@pytest.fixture
def sender(staff_browser, people, staff_clock):
    """A member of the senders group, signed in."""
    signed_in_as_sender(staff_browser)
    staff_clock.advance(1)
    return staff_browser
