"""View helpers every email shares: the greeting and the footer's reason for writing."""

from __future__ import annotations

from collections.abc import Iterable

from mailer.catalogue.schema import Vocabulary


def reason_line(vocabulary: Vocabulary, audience: str, topics: Iterable[str]) -> str:
    """Why the subscriber gets this email, as the footer says it."""
    wanted = set(topics)
    chosen = [label for slug, label in vocabulary.topics.items() if slug in wanted]
    what = ", ".join(chosen) if chosen else "all topics"
    return (
        f"You get this because you subscribed to updates for "
        f"{vocabulary.audiences[audience].lower()} on: {what}."
    )


def greeting(name: str | None) -> str:
    """'Hello Sam,' or 'Hello,' when we have no name."""
    name = " ".join((name or "").split())
    return f"Hello {name}," if name else "Hello,"
