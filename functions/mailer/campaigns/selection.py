"""Which resources a digest highlights for an audience and a set of topics, and in what order."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from mailer.campaigns.model import Period
from mailer.catalogue.schema import Resource


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
    featured: Sequence[str] | None = None,
    left_out: Collection[str] = (),
) -> list[Pick]:
    """Pick resources for one audience and topic set: new ones first, then evergreen highlights.

    The digest for a month goes out on its 1st, so it covers resources added before then. New
    means added on or after `new_since` (by default the previous digest's date, the 1st of the
    previous month), so each resource is new in exactly one digest. Within each group, better
    topic matches come first, then the newest. Evergreen resources only fill up to `min_items`.
    `already_new` names resources the previous digest already showed as new: a digest sent early
    (on the same day a resource was added) must not show it as new a second time.

    A digest draft (digests.py) decides instead: `featured` lists the group's resources in the
    order staff chose (first, whatever their date; marked new only if new by the rule above),
    and `left_out` those staff removed, which are not even evergreen fillers.
    """
    if featured is not None:
        return _chosen(
            resources,
            audience,
            topics,
            period,
            new_since,
            already_new,
            max_items,
            min_items,
            featured,
            left_out,
        )
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


def _chosen(
    resources: Iterable[Resource],
    audience: str,
    topics: Iterable[str] | None,
    period: Period,
    new_since: dt.date | None,
    already_new: Collection[str],
    max_items: int,
    min_items: int,
    featured: Sequence[str],
    left_out: Collection[str],
) -> list[Pick]:
    """select_resources for a draft's choice: featured first in staff's order, then fillers."""
    wanted = frozenset(topics or ())
    new_since = new_since or period.previous.start
    by_id = {
        r.id: r
        for r in resources
        if audience in r.audiences and (not wanted or wanted.intersection(r.topics))
    }
    fresh = [
        Pick(r, r.added >= new_since and r.id not in already_new, len(wanted & set(r.topics)))
        for r in (by_id[i] for i in featured if i in by_id)
    ]
    shown = set(featured) | set(left_out)
    others = [
        Pick(r, False, len(wanted & set(r.topics)))
        for r in by_id.values()
        if r.id not in shown and r.added < period.start
    ]
    others.sort(key=lambda p: (p.topic_matches, p.resource.newest_first_key()), reverse=True)
    return (fresh + others[: max(0, min_items - len(fresh))])[:max_items]
