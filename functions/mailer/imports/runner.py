"""Running an import batch: the dry run (a report per row, nothing written to subscribers), then
the import itself, page by page from a checkpoint, so a run stopped anywhere resumes where it
was and a page done twice changes nothing more.

The import writes each row with a condition: a new subscriber only where nobody is stored and
the address is not suppressed, in one transaction with the census counters. A row without
evidence becomes a pending record and one re-permission email, claimed by a marker in the
same transaction; the marker is never removed, so an address is asked once, ever. The email
is sent after the claim commits, paced like a campaign. The one duplicate window, as in the
campaign ledger: a run that dies after SES accepted the email and before the marker says
"sent" sends it again on retry.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Protocol

from mailer.campaigns.pacing import TokenBucket
from mailer.campaigns.workers import Concurrently, in_turn
from mailer.catalogue.schema import Vocabulary
from mailer.errors import ConflictError
from mailer.subscribers.identity import AddressKeys, new_link_id
from mailer.subscribers.lifecycle import REPERMISSION_VERSION
from mailer.subscribers.model import Consent, Status, Subscriber
from mailer.subscribers.notices import Notices
from mailer.subscribers.provenance import (
    BASIS_LABELS,
    SOFT_OPT_IN_FROM,
    Basis,
    import_statement,
)
from mailer.subscribers.store import SubscriberStore
from mailer.subscribers.tokens import MAX_AGE, Purpose

from .batch import Batch, BatchStore, ImportRefusedError, Mode, RunState, new_batch_id
from .csvfile import HEAD_BYTES, FileFormat, ImportFileError, RawRow, lines, read_page, sniff
from .files import ListFiles, MissingFileError
from .rows import Checked, Outcome, Terms, against_store, check

logger = logging.getLogger(__name__)

PAGE_ROWS = 500  # rows per checkpoint: one page's report is one item well under 400 KB
TIME_MARGIN = 60.0  # seconds: stop and hand over before a page could outrun the function


class ImportStarter(Protocol):
    """Hands a batch's run to the import function (or runs it here)."""

    def start(self, batch_id: str, mode: Mode) -> None:
        """Run it now or soon."""
        ...


@dataclass(frozen=True)
class Progress:
    """What a run call did: the batch as it stands, and whether the run has more to do."""

    batch: Batch
    more: bool


class Importer:
    """Runs dry runs and imports over the store, the batch records, the file and the notices."""

    def __init__(
        self,
        *,
        subscribers: SubscriberStore,
        batches: BatchStore,
        files: ListFiles,
        keys: AddressKeys,
        vocabulary: Vocabulary,
        notices: Notices,
        pace: Callable[[], TokenBucket],
        clock: Callable[[], float] = time.time,
        page_rows: int = PAGE_ROWS,
        concurrently: Concurrently[Checked] = in_turn,
    ) -> None:
        """`concurrently`: how a page's rows are written at once (each is one transaction of
        about 10 ms; one at a time, a 100,000-row list would outlast the function)."""
        self._subscribers = subscribers
        self._batches = batches
        self._files = files
        self._keys = keys
        self._vocabulary = vocabulary
        self._notices = notices
        self._pace = pace
        self._bucket: TokenBucket | None = None
        self._clock = clock
        self._page_rows = page_rows
        self._concurrently = concurrently

    def _now_iso(self) -> str:
        return dt.datetime.fromtimestamp(self._clock(), dt.UTC).isoformat(timespec="seconds")

    def run(
        self,
        batch_id: str,
        mode: Mode,
        time_left: Callable[[], float] | None = None,
        on_page: Callable[[Batch], None] | None = None,
    ) -> Progress:
        """Run (or resume) one run of a batch until it is done or time is short."""
        batch = self._batches.get(batch_id)
        if batch is None:
            raise ImportRefusedError(f"there is no import batch {batch_id}")
        if mode is Mode.IMPORT and batch.run(Mode.DRY_RUN).state is not RunState.DONE:
            raise ImportRefusedError("run the dry run first, and read its report")
        if batch.run(mode).state in (RunState.DONE, RunState.FAILED):
            return Progress(batch, False)  # a second start of a finished run changes nothing
        try:
            if batch.run(mode).state is RunState.WAITING:
                batch = self._begin(batch, mode)
                if batch.run(mode).state is not RunState.RUNNING:
                    return Progress(batch, False)
            fmt = FileFormat.from_item(batch.file["format"])
            seen: set[str] = set()
            while True:
                if time_left is not None and time_left() < TIME_MARGIN:
                    return Progress(batch, True)
                run = batch.run(mode)
                page = self._read(batch, fmt, run.offset, run.line)
                decided = self._decide(batch, page.rows, seen)
                if mode is Mode.IMPORT:
                    decided = self._apply_all(batch, decided)
                report = [[row.line, row.outcome.value, row.reason] for row in decided]
                end = page.rows[-1] if page.rows else None
                # ConflictError: another run recorded this page first; read where it got to.
                with contextlib.suppress(ConflictError):
                    self._batches.checkpoint(
                        batch,
                        mode,
                        report,
                        end.end if end else run.offset,
                        end.end_line if end else run.line,
                    )
                batch = self._batches.get(batch_id) or batch
                if on_page is not None:
                    on_page(batch)
                if page.done:
                    return Progress(self._finish(batch, mode), False)
        except (ImportFileError, MissingFileError) as exc:
            # The file cannot be read: say why on the batch; nothing stored is changed or lost.
            self._batches.update_run(
                batch_id, mode, {"state": RunState.FAILED.value, "error": str(exc)}
            )
            return Progress(self._batches.get(batch_id) or batch, False)

    def declare(
        self,
        *,
        source: str,
        basis: str,
        created_by: str,
        collected_directly: bool = False,
        collected_on: str = "",
    ) -> Batch:
        """A new batch for what a member of staff stated about a list; ImportRefusedError
        for a soft opt-in the statement does not support (PECR reg. 22(3A))."""
        try:
            chosen = Basis(basis)
        except ValueError:
            raise ImportRefusedError(f"unknown lawful basis {basis!r}") from None
        if chosen is Basis.SOFT_OPT_IN:
            refusal = (
                "the charity soft opt-in applies only to details we collected directly, "
                "on or after 5 February 2026, with an opt-out offered then"
            )
            try:
                collected = dt.date.fromisoformat(collected_on)
            except ValueError:
                collected = None
            if not collected_directly or collected is None or collected < SOFT_OPT_IN_FROM:
                detail = "" if collected_directly else " (tick the statement)"
                if collected_directly and collected is None:
                    detail = " (give the date they were collected, like 2026-03-01)"
                raise ImportRefusedError(refusal + detail)
        batch_id = new_batch_id()
        declared = f"{source.strip()}\n\nLawful basis: {BASIS_LABELS[chosen]}" + (
            f"\nCollected directly, with an opt-out offered, from {collected_on}."
            if collected_directly
            else ""
        )
        statement_id = self._subscribers.save_statement(import_statement(batch_id, declared))
        batch = Batch(
            id=batch_id,
            source=source.strip(),
            basis=chosen.value,
            created_by=created_by,
            created_at=self._now_iso(),
            statement_id=statement_id,
            collected_directly=collected_directly,
            collected_on=collected_on,
        )
        self._batches.create(batch)
        return batch

    def _finish(self, batch: Batch, mode: Mode) -> Batch:
        """Mark the run done; after the import, forget the file (it holds personal data)."""
        self._batches.update_run(
            batch.id, mode, {"state": RunState.DONE.value, "finished_at": self._now_iso()}
        )
        if mode is Mode.IMPORT:
            self._files.delete(batch.object_key)
        return self._batches.get(batch.id) or batch

    def _begin(self, batch: Batch, mode: Mode) -> Batch:
        """Read the file's size, format and digest once; refuse a file imported before."""
        now = self._now_iso()
        file = dict(batch.file)
        if not file:
            size = self._files.size(batch.object_key)
            head = self._files.head(batch.object_key, HEAD_BYTES) if size else b""
            fmt = sniff(head, size)
            file = {
                "size": size,
                "format": fmt.to_item(),
                "sha256": self._files.sha256(batch.object_key),
            }
        changes: dict[str, Any] = {"state": RunState.RUNNING.value, "started_at": now}
        fmt = FileFormat.from_item(file["format"])
        changes.update(offset=fmt.data_start, line=1)
        if mode is Mode.IMPORT:
            first = self._batches.claim_file(str(file["sha256"]), batch.id)
            if first != batch.id:
                changes.update(
                    state=RunState.FAILED.value,
                    error=f"This file was imported already (batch {first}): nothing changed.",
                )
        self._batches.update_run(batch.id, mode, changes, file)
        return self._batches.get(batch.id) or batch

    def _read(self, batch: Batch, fmt: FileFormat, offset: int, line: int) -> Any:
        if offset >= int(batch.file["size"]):
            return read_page([], fmt, offset, line + 1, self._page_rows)
        chunks = self._files.chunks(batch.object_key, offset)
        try:
            return read_page(lines(chunks), fmt, offset, line + 1, self._page_rows)
        finally:
            chunks.close()  # type: ignore[attr-defined]

    def _decide(self, batch: Batch, rows: list[RawRow], seen: set[str]) -> list[Checked]:
        terms = self.terms(batch)
        checked = [check(row, self._vocabulary, self._keys, terms) for row in rows]
        keys = [c.candidate.key for c in checked if c.candidate]
        pks = [f"{kind}#{key}" for key in keys for kind in ("sub", "suppression", "repermission")]
        return against_store(checked, self._subscribers.items(pks), terms, seen)

    def terms(self, batch: Batch) -> Terms:
        """What the batch's statement says about every row."""
        today = dt.datetime.fromtimestamp(self._clock(), dt.UTC).date()
        return Terms(batch.id, Basis(batch.basis), today)

    def _apply_all(self, batch: Batch, rows: list[Checked]) -> list[Checked]:
        """Write a page's rows at once (each row a different person: against_store made a
        repeated address "already" before this); the first failure stops the page."""
        if self._bucket is None and any(r.outcome is Outcome.MISSING_EVIDENCE for r in rows):
            self._bucket = self._pace()  # here, once: the threads below share one pace
        done = self._concurrently([functools.partial(self._apply, batch, row) for row in rows])
        for result in done:
            if isinstance(result, Exception):
                raise result
        return done  # type: ignore[return-value]

    def _apply(self, batch: Batch, row: Checked) -> Checked:
        """Write one row as its outcome says (conditionally: a row done before changes
        nothing); the outcome it had in the end."""
        candidate = row.candidate
        if candidate is None or row.outcome not in (Outcome.NEW, Outcome.MISSING_EVIDENCE):
            return row
        now = self._now_iso()
        subscriber = Subscriber(
            key=candidate.key,
            email=candidate.email,
            audience=candidate.audience,
            topics=candidate.topics,
            name=candidate.name,
            organisation=candidate.organisation,
            created_at=now,
            updated_at=now,
            source=f"import:{batch.id}",
            source_note=candidate.source_note,
            link_id=new_link_id(),
        )
        if row.outcome is Outcome.NEW:
            confirmed = replace(
                subscriber,
                status=Status.CONFIRMED,
                confirmed_at=now,
                basis=batch.basis,
                consent=Consent(
                    at=candidate.evidence_at,
                    form_version=f"import-{batch.id}",
                    statement=batch.source,
                    statement_id=batch.statement_id,
                ),
            )
            try:
                self._subscribers.add_new(confirmed)
            except ConflictError:
                # Written by an earlier try of this page (the same outcome), or someone
                # subscribed or was suppressed since the page was read: then left alone.
                stored = self._subscribers.items([f"sub#{candidate.key}"]).get(
                    f"sub#{candidate.key}"
                )
                if not stored or stored.get("source") != subscriber.source:
                    return replace(row, outcome=Outcome.ALREADY, reason="changed during the import")
            return row
        return self._ask(batch, row, subscriber, now)

    def _ask(self, batch: Batch, row: Checked, subscriber: Subscriber, now: str) -> Checked:
        """A pending record and one re-permission email, claimed once per address."""
        pending = replace(
            subscriber,
            status=Status.PENDING,
            form_version=REPERMISSION_VERSION,
            expires_at=int(self._clock()) + MAX_AGE[Purpose.CONFIRM],
        )
        marker = {"pk": f"repermission#{subscriber.key}"}
        claim = {
            "Put": {
                "Item": {**marker, "batch": batch.id, "state": "claimed", "at": now},
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }
        try:
            self._subscribers.add_new(pending, extra=[claim])
        except ConflictError:
            stored = self._subscribers.items([marker["pk"], f"sub#{subscriber.key}"])
            asked = stored.get(marker["pk"])
            record = stored.get(f"sub#{subscriber.key}")
            if not asked or asked.get("batch") != batch.id or asked.get("state") == "sent":
                return row  # asked already, or subscribed meanwhile: nothing more to send
            if not record or record.get("status") != Status.PENDING.value:
                return row
            pending = Subscriber.from_item(record)  # our claim, not yet sent: send it now
        if self._bucket is None:
            self._bucket = self._pace()
        self._bucket.acquire()  # the campaign pace: re-permission emails share the quota
        self._notices.repermission(pending)
        self._subscribers.mark_asked(subscriber.key, now)
        return row
