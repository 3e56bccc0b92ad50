"""A group's confirmed subscribers as CSV rows for staff, safe to open in a spreadsheet.

A cell a spreadsheet would read as a formula (=HYPERLINK(...), +, -, @, or a tab or carriage
return first) is prefixed with an apostrophe, OWASP's advice for CSV injection: names and
organisations are typed by the public, and a formula in one would run on a staff laptop.
"""

from __future__ import annotations

from collections.abc import Iterator

from .model import MAILINGS_LABELS, Status, Subscriber
from .store import SubscriberStore

COLUMNS = (
    "email",
    "group",
    "topics",
    "name",
    "organisation",
    "lawful_basis",
    "source",
    "source_note",
    "consented_at",
    "confirmed_at",
    "gets",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: str) -> str:
    """A cell no spreadsheet evaluates: text starting like a formula gets a leading apostrophe."""
    return "'" + cell if cell.startswith(_FORMULA_START) else cell


def row(subscriber: Subscriber) -> list[str]:
    """One subscriber's cells, in COLUMNS order, neutralised."""
    cells = [
        subscriber.email,
        subscriber.audience,
        ";".join(subscriber.topics) or "all",
        subscriber.name,
        subscriber.organisation,
        subscriber.basis,
        subscriber.source,
        subscriber.source_note,
        subscriber.consent.at if subscriber.consent else "",
        subscriber.confirmed_at,
        MAILINGS_LABELS[subscriber.choice],
    ]
    return [neutralise(c) for c in cells]


def group_rows(store: SubscriberStore, audience: str, page_size: int = 100) -> Iterator[list[str]]:
    """Every confirmed subscriber of a group, a page of the send index at a time, each read in
    full (BatchGetItem) and checked again: erased and unsubscribed people are never in it."""
    start = None
    while True:
        page = store.confirmed_page(audience, start, page_size)
        items = store.items([f"sub#{s.key}" for s in page.subscribers])
        for pk in sorted(items):
            subscriber = Subscriber.from_item(items[pk])
            if subscriber.status is Status.CONFIRMED and subscriber.audience == audience:
                yield row(subscriber)
        if not page.next_start:
            return
        start = page.next_start
