"""Which resources a digest highlights for an audience and a set of topics, and in what order."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from mailer.catalogue.schema import Resource
from mailer.errors import MailerError

_PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


@dataclass(frozen=True, order=True)
class Period:
    """A calendar month, the unit a digest covers ("2026-12")."""

    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Period:
        """Parse YYYY-MM, with a clear error otherwise."""
        match = _PERIOD.match(text.strip())
        if not match or not 2000 <= int(match[1]) <= 2999:
            raise MailerError(f"period must be YYYY-MM, like 2026-12 (got {text!r})")
        return cls(int(match[1]), int(match[2]))

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def start(self) -> dt.date:
        """First day of the month."""
        return dt.date(self.year, self.month, 1)

    @property
    def label(self) -> str:
        """'December 2026'."""
        return self.start.strftime("%B %Y")

    @property
    def previous(self) -> Period:
        """The month before."""
        return Period(self.year - 1, 12) if self.month == 1 else Period(self.year, self.month - 1)

    @property
    def next(self) -> Period:
        """The month after."""
        return Period(self.year + 1, 1) if self.month == 12 else Period(self.year, self.month + 1)


@dataclass(frozen=True)
class Pick:
    """A resource chosen for a digest, with why: whether it is new and how many topics match."""

    resource: Resource
    is_new: bool
    topic_matches: int


def select_resources(
    resources: Iterable[Resource],
    audience: str,
    topics: Iterable[str] | None,
    period: Period,
    new_since: dt.date | None = None,
    already_new: Collection[str] = (),
    max_items: int = 6,
    min_items: int = 3,
) -> list[Pick]:
    """Pick resources for one audience and topic set: new ones first, then evergreen highlights.

    The digest for a month goes out on its 1st, so it covers resources added before then. New
    means added on or after `new_since` (by default the previous digest's date, the 1st of the
    previous month), so each resource is new in exactly one digest. Within each group, better
    topic matches come first, then the newest. Evergreen resources only fill up to `min_items`.
    `already_new` names resources the previous digest already showed as new: a digest sent early
    (on the same day a resource was added) must not show it as new a second time.
    """
    wanted = frozenset(topics or ())
    new_since = new_since or period.previous.start
    cutoff = period.start  # the digest for a month is sent on its 1st: it covers the month before
    picks = [
        Pick(
            r, r.added >= new_since and r.id not in already_new, len(wanted.intersection(r.topics))
        )
        for r in resources
        if audience in r.audiences
        and r.added < cutoff
        and (not wanted or wanted.intersection(r.topics))
    ]
    picks.sort(key=lambda p: (p.topic_matches, p.resource.newest_first_key()), reverse=True)
    fresh = [p for p in picks if p.is_new]
    evergreen = [p for p in picks if not p.is_new][: max(0, min_items - len(fresh))]
    return (fresh + evergreen)[:max_items]
