"""Awareness days: the days schools and faith groups plan around (Anti-Slavery Day, 18 October),
each with the groups it suits, the resources to suggest, a line of text and where the date
comes from. Kept as data (catalogue/awareness-days.yaml, editable in the console) and checked by
the same rules as the catalogue; `days_within` is the pure core a digest draft asks "which days
fall within the next six weeks?".
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from .schema import ID_MAX, ID_PATTERN, Vocabulary, _check_vocab, _text

LINE_MAX = 200


def _known_resource(value: str, info: ValidationInfo) -> str:
    """A suggested resource must be one the catalogue has (checked item by item, so a problem
    names the very list item); stored days are shown as they were saved."""
    known: Collection[str] | None = (info.context or {}).get("resource_ids")
    if known is not None and value not in known:
        raise ValueError(
            f"unknown resource id {value!r}: use the id of a resource in the catalogue"
        )
    return value


ResourceId = Annotated[str, AfterValidator(_known_resource)]
YEARLY_PATTERN = re.compile(r"^(?P<month>\d{2})-(?P<day>\d{2})$")


class AwarenessDay(BaseModel):
    """One awareness day, as staff write it: on a date every year (`yearly`, "MM-DD") or once
    (`date`, YYYY-MM-DD), never both."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    id: str = Field(min_length=3, max_length=ID_MAX, pattern=ID_PATTERN.pattern)
    name: str = Field(min_length=3, max_length=120)
    yearly: str = ""
    date: dt.date | None = None
    audiences: tuple[str, ...] = Field(min_length=1)
    resources: tuple[ResourceId, ...] = ()
    line: str = Field(min_length=10, max_length=LINE_MAX)
    source: str = Field(min_length=5, max_length=250)

    @field_validator("name", "source")
    @classmethod
    def _one_line(cls, value: str, info: ValidationInfo) -> str:
        return _text(value, str(info.field_name), info, one_line=True)

    @field_validator("line")
    @classmethod
    def _line(cls, value: str, info: ValidationInfo) -> str:
        return _text(value, "line", info, one_line=True)

    @field_validator("yearly")
    @classmethod
    def _yearly(cls, value: str) -> str:
        if not value:
            return value
        match = YEARLY_PATTERN.match(value)
        # 29 February is allowed: in other years the day falls on 28 February (occurrence).
        if not match or not _real_day(2024, int(match["month"]), int(match["day"])):
            raise ValueError("must be a day of the year written MM-DD, like 10-18 for 18 October")
        return value

    @field_validator("audiences")
    @classmethod
    def _audiences(cls, value: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        vocabulary: Vocabulary | None = (info.context or {}).get("vocabulary")
        if vocabulary is None:
            raise ValueError("no vocabulary given to check against")
        return tuple(_check_vocab(v, vocabulary.audiences, "audience") for v in value)

    @model_validator(mode="after")
    def _one_rule(self) -> AwarenessDay:
        if bool(self.yearly) == (self.date is not None):
            raise ValueError(
                "give the day either as `yearly: MM-DD` (every year) or as `date: YYYY-MM-DD` "
                "(once), not both and not neither"
            )
        return self

    @property
    def when_label(self) -> str:
        """The date for people: '18 October, every year' or '1 March 2027'."""
        if self.date is not None:
            return f"{self.date.day} {self.date:%B %Y}"
        month, day = (int(part) for part in self.yearly.split("-"))
        return f"{day} {calendar.month_name[month]}, every year"

    def occurrence(self, year: int) -> dt.date | None:
        """The day it falls on in `year` (None for a one-off day in another year)."""
        if self.date is not None:
            return self.date if self.date.year == year else None
        month, day = (int(part) for part in self.yearly.split("-"))
        return dt.date(year, month, min(day, calendar.monthrange(year, month)[1]))

    def to_item(self) -> dict[str, Any]:
        """The day as a plain dict (the file's fields, a DynamoDB item's)."""
        item = self.model_dump(mode="json", exclude_defaults=True)
        item["audiences"] = list(self.audiences)
        item["resources"] = list(self.resources)
        return item


@dataclass(frozen=True)
class Occurrence:
    """An awareness day on the date it falls, how many days from the start it is, and why a
    digest features it when being near is not the reason (empty: it is coming up)."""

    day: AwarenessDay
    on: dt.date
    days_away: int
    why: str = ""


def days_within(
    days: Iterable[AwarenessDay],
    start: dt.date,
    window: dt.timedelta = dt.timedelta(weeks=6),
    audience: str | None = None,
) -> list[Occurrence]:
    """The days falling on or after `start` and before `start + window` (for `audience` only,
    if given), soonest first; a yearly day near the new year is found in either year."""
    end = start + window
    found = []
    for day in days:
        if audience is not None and audience not in day.audiences:
            continue
        for year in range(start.year, end.year + 1):
            on = day.occurrence(year)
            if on is not None and start <= on < end:
                found.append(Occurrence(day, on, (on - start).days))
    return soonest_first(found)


def soonest_first(occurrences: Iterable[Occurrence]) -> list[Occurrence]:
    """Occurrences by date, days on the same date by id (so every list reads the same way)."""
    return sorted(occurrences, key=lambda o: (o.on, o.day.id))


def _real_day(year: int, month: int, day: int) -> bool:
    return 1 <= month <= 12 and 1 <= day <= calendar.monthrange(year, month)[1]
