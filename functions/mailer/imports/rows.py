"""What each row of a list is: checked on its own (address, group, topics, evidence), then
against what is stored (already subscribed, suppressed, erased or unsubscribed before).

The same checks make the dry run's report and decide what the import does, so the report is
what happens. A row is never re-added once its person withdrew: erasure keeps the address's
keyed hash, and unsubscribes and suppressions keep theirs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from mailer.catalogue.schema import Vocabulary
from mailer.subscribers.identity import AddressKeys, InvalidAddressError, checked_address
from mailer.subscribers.provenance import SOFT_OPT_IN_FROM, Basis

from .csvfile import RawRow

MAX_NAME = 100


class Outcome(StrEnum):
    """A row's fate, as the report names it."""

    NEW = "new"  # becomes a confirmed subscriber carrying its evidence
    MISSING_EVIDENCE = "missing evidence"  # gets one re-permission email instead
    ALREADY = "already subscribed"  # left alone
    SUPPRESSED = "suppressed"  # never mailed
    WITHDRAWN = "erased or unsubscribed before"  # never re-added
    BAD_ADDRESS = "bad address"
    UNKNOWN_GROUP_OR_TOPIC = "unknown group or topic"
    BAD_ROW = "bad row"  # a cell too long, a date we cannot read, the wrong number of cells


OUTCOMES = tuple(Outcome)


@dataclass(frozen=True)
class Terms:
    """What a batch's staff member stated about the whole list."""

    batch_id: str
    basis: Basis
    today: dt.date


@dataclass(frozen=True)
class Candidate:
    """A readable row: the person it would add, and the evidence it carries."""

    email: str
    key: str
    audience: str
    topics: tuple[str, ...]
    name: str
    organisation: str
    evidence_at: str  # ISO date or time; "" when the row has none
    source_note: str


@dataclass(frozen=True)
class Checked:
    """A row's outcome, why, and (for rows that can be added) who."""

    line: int
    outcome: Outcome
    reason: str = ""
    candidate: Candidate | None = None


def check(row: RawRow, vocabulary: Vocabulary, keys: AddressKeys, terms: Terms) -> Checked:
    """A row on its own: readable, a good address, a known group and topics, evidence."""
    if row.problem:
        return Checked(row.line, Outcome.BAD_ROW, row.problem)
    cells = row.cells
    try:
        email = checked_address(cells.get("email", ""))
    except InvalidAddressError as exc:
        return Checked(row.line, Outcome.BAD_ADDRESS, str(exc))
    audience = _slug(cells.get("group", ""), vocabulary.audiences)
    if audience is None:
        known = ", ".join(vocabulary.audiences)
        return Checked(
            row.line,
            Outcome.UNKNOWN_GROUP_OR_TOPIC,
            f"group {cells.get('group', '')!r} (use {known})",
        )
    topics = []
    for written in _split(cells.get("topics", "")):
        topic = _slug(written, vocabulary.topics)
        if topic is None:
            return Checked(row.line, Outcome.UNKNOWN_GROUP_OR_TOPIC, f"topic {written!r}")
        topics.append(topic)
    name, organisation = cells.get("name", ""), cells.get("organisation", "")
    if len(name) > MAX_NAME or len(organisation) > MAX_NAME:
        return Checked(
            row.line, Outcome.BAD_ROW, f"name or organisation over {MAX_NAME} characters"
        )
    if not all(_printable(v) for v in (name, organisation, cells.get("source", ""))):
        return Checked(row.line, Outcome.BAD_ROW, "a cell holds control characters")
    chosen = tuple(t for t in vocabulary.topics if t in topics)
    candidate = Candidate(
        email=email,
        key=keys.key(email),
        audience=audience,
        topics=() if len(chosen) == len(vocabulary.topics) else chosen,
        name=" ".join(name.split()),
        organisation=" ".join(organisation.split()),
        evidence_at="",
        source_note=" ".join(cells.get("source", "").split())[:200],
    )
    evidence, reason = _evidence(cells.get("consented_at", ""), audience, terms)
    if evidence is None:
        return Checked(row.line, Outcome.MISSING_EVIDENCE, reason, candidate)
    return Checked(row.line, Outcome.NEW, "", replace(candidate, evidence_at=evidence))


def _evidence(written: str, audience: str, terms: Terms) -> tuple[str | None, str]:
    """The row's evidence under the batch's basis (None: missing, with the reason)."""
    if terms.basis is Basis.CORPORATE:
        if audience == "individuals":
            return None, "a person's own address is not a corporate subscriber"
        return written or terms.today.isoformat(), ""
    if not written:
        return None, "no consented_at date"
    when = _date(written)
    if when is None:
        return None, f"consented_at {written!r} is not a date like 2026-03-01"
    if when > terms.today:
        return None, "consented_at is in the future"
    if terms.basis is Basis.SOFT_OPT_IN and when < SOFT_OPT_IN_FROM:
        return None, "collected before 5 February 2026, when the charity soft opt-in began"
    return written.strip(), ""


def _date(written: str) -> dt.date | None:
    text = written.strip()
    for parse in (
        lambda t: dt.datetime.fromisoformat(t).date(),
        lambda t: dt.datetime.strptime(t, "%d/%m/%Y").date(),  # UK spreadsheets
    ):
        try:
            return parse(text)
        except ValueError:
            continue
    return None


def _slug(written: str, known: Mapping[str, str]) -> str | None:
    """A vocabulary slug from a cell: the slug itself or its label, in any case."""
    text = " ".join(written.strip().lower().split())
    for slug, label in known.items():
        if text in (slug, slug.replace("-", " "), label.lower()):
            return slug
    return None


def _split(written: str) -> list[str]:
    separator = ";" if ";" in written else "|" if "|" in written else ","
    return [part.strip() for part in written.split(separator) if part.strip()]


def _printable(text: str) -> bool:
    return all(c.isprintable() for c in text)


def against_store(
    checked: list[Checked], stored: Mapping[str, dict[str, Any]], terms: Terms, seen: set[str]
) -> list[Checked]:
    """Rows as what is stored makes them: suppressed, withdrawn, already here, or still new.

    `stored` maps "sub#", "suppression#" and "repermission#" keys to their items; `seen`
    holds the keys of earlier rows of this run (a row twice in a file is added once).
    A record this batch wrote itself keeps the row's outcome, so a page run twice reports the
    same (the second run changes nothing).
    """
    ours = f"import:{terms.batch_id}"
    decided = []
    for row in checked:
        candidate = row.candidate
        if candidate is None:
            decided.append(row)
            continue
        key = candidate.key
        record = stored.get(f"sub#{key}")
        asked = stored.get(f"repermission#{key}")
        if (record and record.get("source") == ours) or (
            asked and asked.get("batch") == terms.batch_id
        ):
            decided.append(row)  # written by this batch on an earlier try
        elif key in seen:
            decided.append(
                replace(row, outcome=Outcome.ALREADY, reason="an earlier row of this file")
            )
        elif f"suppression#{key}" in stored:
            decided.append(replace(row, outcome=Outcome.SUPPRESSED, reason=""))
        elif record and record.get("status") in ("erased", "unsubscribed"):
            decided.append(replace(row, outcome=Outcome.WITHDRAWN, reason=str(record["status"])))
        elif record:
            decided.append(replace(row, outcome=Outcome.ALREADY, reason=str(record.get("status"))))
        elif asked and row.outcome is Outcome.MISSING_EVIDENCE:
            decided.append(
                replace(
                    row, outcome=Outcome.ALREADY, reason="asked before by a re-permission email"
                )
            )
        else:
            decided.append(row)
        seen.add(key)
    return decided
