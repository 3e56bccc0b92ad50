"""List import at scale: the real Importer (csvfile, rows, runner: the CSV reading, the checks,
the paging, the pacing and the threads) on simulated time, with the subscriber store, the batch
records, the file in S3 and SES as fakes that take AWS's time. moto would cost this machine a
few ms of CPU a call, which a deployed import does not pay, and 100,000 rows make 100,000 calls.

Every row is new (the worst case for writes): most carry consent evidence, a share have none
and get a re-permission email at one campaign sender's pace. Reported: the dry run's and the
import's time on one function run, rows a second, emails sent, and duplicates (none allowed).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from mailer.campaigns.pacing import TokenBucket
from mailer.catalogue.schema import Vocabulary
from mailer.errors import ConflictError
from mailer.imports.batch import Batch, Mode, Run, RunState
from mailer.imports.rows import OUTCOMES
from mailer.imports.runner import Importer
from mailer.paths import catalogue_dir
from mailer.subscribers.identity import AddressKeys
from mailer.subscribers.model import Subscriber
from mailer.subscribers.provenance import Statement

from .lambdas import cpu_slowdown, memory_of
from .simtime import Cpu, SimTime

BATCH_GET_SECONDS = 0.015  # BatchGetItem of up to 100 keys
TRANSACT_SECONDS = 0.012  # TransactWriteItems of two or three items
WRITE_SECONDS = 0.006  # one PutItem or UpdateItem
S3_FIRST_BYTE, S3_BYTES_PER_SECOND = 0.03, 50e6
SES_SECONDS = 0.06
QUOTA, RESERVE, SENDERS, THREADS = 50.0, 1.0, 4, 8  # the defaults; a 50/s account
FUNCTION_SECONDS = 900  # one planner (and import) function run: the template's Timeout


class _Subscribers:
    """The subscriber store's import calls, in memory, each taking DynamoDB's time."""

    def __init__(self, sim: SimTime, transact_seconds: float = TRANSACT_SECONDS) -> None:
        self._sim = sim
        self._transact = transact_seconds
        self.items_by_pk: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def items(self, pks: list[str]) -> dict[str, dict[str, Any]]:
        for _ in range(0, len(pks), 100):
            self._sim.sleep(BATCH_GET_SECONDS)
        return {pk: self.items_by_pk[pk] for pk in pks if pk in self.items_by_pk}

    def add_new(self, subscriber: Subscriber, extra: list[dict[str, Any]] | None = None) -> None:
        self._sim.sleep(self._transact)
        item = subscriber.to_item()
        with self._lock:
            if item["pk"] in self.items_by_pk:
                raise ConflictError("exists")
            for write in extra or []:
                put = write["Put"]["Item"]
                if put["pk"] in self.items_by_pk:
                    raise ConflictError("exists")
            self.items_by_pk[item["pk"]] = item
            for write in extra or []:
                self.items_by_pk[write["Put"]["Item"]["pk"]] = dict(write["Put"]["Item"])

    def mark_asked(self, key: str, now_iso: str) -> None:
        self._sim.sleep(WRITE_SECONDS)
        self.items_by_pk[f"repermission#{key}"]["state"] = "sent"

    def save_statement(self, statement: Statement) -> str:
        return statement.id


class _Batches:
    """The batch records: the same checkpoint rule (a page recorded once), in memory."""

    def __init__(self, sim: SimTime) -> None:
        self._sim = sim
        self.batches: dict[str, Batch] = {}
        self.pages: dict[tuple[str, str, int], list[list[Any]]] = {}

    def create(self, batch: Batch) -> None:
        self.batches[batch.id] = batch

    def get(self, batch_id: str) -> Batch | None:
        self._sim.sleep(WRITE_SECONDS / 2)
        return self.batches.get(batch_id)

    def update_run(
        self, batch_id: str, mode: Mode, changes: dict[str, Any], file: Any = None
    ) -> None:
        self._sim.sleep(WRITE_SECONDS)
        batch = self.batches[batch_id]
        run = batch.run(mode).to_item() | changes
        runs = {**batch.runs, mode: Run.from_item(run)}
        self.batches[batch_id] = Batch(
            **{**batch.__dict__, "runs": runs, "file": file or batch.file}
        )

    def checkpoint(
        self, batch: Batch, mode: Mode, report: list[list[Any]], offset: int, line: int
    ) -> None:
        self._sim.sleep(TRANSACT_SECONDS)
        run = self.batches[batch.id].run(mode)
        if run.page != batch.run(mode).page:
            raise ConflictError("recorded already")
        self.pages[(batch.id, mode.value, run.page)] = report
        counts = dict(run.counts)
        for _, outcome, _ in report:
            counts[outcome] = counts.get(outcome, 0) + 1
        self.update_run(
            batch.id, mode, {"page": run.page + 1, "offset": offset, "line": line, "counts": counts}
        )

    def claim_file(self, sha256: str, batch_id: str) -> str:
        return batch_id


class _Files:
    """The uploaded file in S3: ranged GETs take a first byte's wait and transfer time."""

    def __init__(self, sim: SimTime, body: bytes) -> None:
        self._sim = sim
        self._body = body
        self.gets = 0

    def size(self, key: str) -> int:
        return len(self._body)

    def head(self, key: str, length: int) -> bytes:
        self._sim.sleep(S3_FIRST_BYTE)
        return self._body[:length]

    def sha256(self, key: str) -> str:
        self._sim.sleep(S3_FIRST_BYTE + len(self._body) / S3_BYTES_PER_SECOND)
        return hashlib.sha256(self._body).hexdigest()

    def chunks(self, key: str, offset: int) -> Iterator[bytes]:
        self._sim.sleep(S3_FIRST_BYTE)
        self.gets += 1
        for start in range(offset, len(self._body), 64 * 1024):
            self._sim.sleep(64 * 1024 / S3_BYTES_PER_SECOND)
            yield self._body[start : start + 64 * 1024]

    def delete(self, key: str) -> None:
        self._sim.sleep(WRITE_SECONDS)


@dataclass
class _Ses:
    sim: SimTime
    sent: dict[str, int] = field(default_factory=dict)

    def repermission(self, pending: Subscriber) -> str:
        self.sim.sleep(SES_SECONDS)
        self.sent[pending.email] = self.sent.get(pending.email, 0) + 1
        return "message-id"


@dataclass(frozen=True)
class ImportResult:
    """One benchmark run."""

    rows: int
    dry_run_seconds: float
    import_seconds: float
    emails: int
    duplicates: int
    new: int
    missing_evidence: int
    s3_gets: int
    cpu_seconds: float  # this machine's CPU, charged (in the simulated times) at the memory
    counts_match: bool

    @property
    def rows_per_second(self) -> float:
        """Rows imported a second of simulated time (the import run)."""
        return self.rows / self.import_seconds if self.import_seconds else 0.0


def make_file(rows: int, without_evidence_every: int = 100) -> bytes:
    """A list of `rows` new people; every n-th has no consent date."""
    lines = ["email,group,topics,name,organisation,consented_at,source"]
    groups = ("schools", "faith-groups", "individuals")
    for i in range(rows):
        when = "" if i % without_evidence_every == 0 else "2026-03-01"
        lines.append(f"person{i}@example.org,{groups[i % 3]},housing,Person {i},,{when},fair")
    return ("\n".join(lines) + "\n").encode()


def run(rows: int, transact_seconds: float = TRANSACT_SECONDS) -> ImportResult:
    """A dry run and an import of `rows` rows, on simulated time, the import function's CPU
    charged at its memory (a test makes DynamoDB's transactions slower)."""
    sim = SimTime()
    body = make_file(rows)
    cpu = Cpu(cpu_slowdown(memory_of("SubscriberImportFunction")))
    subscribers, batches, files, ses = (
        _Subscribers(sim, transact_seconds),
        _Batches(sim),
        _Files(sim, body),
        _Ses(sim),
    )
    importer = Importer(
        subscribers=subscribers,  # type: ignore[arg-type]
        batches=batches,  # type: ignore[arg-type]
        files=files,  # type: ignore[arg-type]
        keys=AddressKeys(b"benchmark-pepper"),
        vocabulary=Vocabulary.load(catalogue_dir() / "vocabulary.yaml"),
        notices=ses,  # type: ignore[arg-type]
        pace=lambda: TokenBucket.for_sender(QUOTA, RESERVE, SENDERS, sim, sim.sleep),
        clock=lambda: 1_790_000_000 + sim(),
        concurrently=sim.pool(THREADS),
    )
    batch = importer.declare(source="A benchmark list", basis="consent", created_by="bench")
    marks: list[float] = []

    def both() -> None:
        marks.append(sim())
        importer.run(batch.id, Mode.DRY_RUN)
        marks.append(sim())
        importer.run(batch.id, Mode.IMPORT)
        marks.append(sim())

    sim.run(lambda: sim.join([sim.spawn(both, cpu)]))  # one simulation: a SimTime runs once
    t0, t1, t2 = marks
    done = batches.batches[batch.id]
    dry, imported = done.run(Mode.DRY_RUN), done.run(Mode.IMPORT)
    assert dry.state is RunState.DONE and imported.state is RunState.DONE, (dry, imported)
    return ImportResult(
        rows=imported.rows,
        dry_run_seconds=t1 - t0,
        import_seconds=t2 - t1,
        emails=sum(ses.sent.values()),
        duplicates=sum(n - 1 for n in ses.sent.values() if n > 1),
        new=imported.counts.get("new", 0),
        missing_evidence=imported.counts.get("missing evidence", 0),
        s3_gets=files.gets,
        cpu_seconds=cpu.spent,
        counts_match=all(
            dry.counts.get(o.value, 0) == imported.counts.get(o.value, 0) for o in OUTCOMES
        ),
    )


def section(imported: ImportResult) -> list[str]:
    """The report's List import section."""
    from .render import mark

    whole = imported.dry_run_seconds + imported.import_seconds
    once = imported.emails == imported.missing_evidence and not imported.duplicates
    return [
        "## List import",
        "",
        f"The real `Importer` (CSV reading, row checks, paging, {THREADS} threads, "
        "pacing) on simulated time, importing a list of "
        f"{imported.rows:,} new people, 1 in 100 without consent evidence (so "
        f"{imported.missing_evidence:,} re-permission emails at one campaign sender's pace: "
        f"({QUOTA:g}/s - {RESERVE:g}) / {SENDERS}), against fakes taking "
        f"AWS's time: BatchGetItem {BATCH_GET_SECONDS * 1e3:.0f} ms per 100 keys, "
        f"TransactWriteItems {TRANSACT_SECONDS * 1e3:.0f} ms, S3 "
        f"{S3_FIRST_BYTE * 1e3:.0f} ms to the first byte and "
        f"{S3_BYTES_PER_SECOND / 1e6:.0f} MB/s, SES {SES_SECONDS * 1e3:.0f} ms. "
        "Whole = dry run + import, simulated, the function's CPU charged in them at its "
        "memory (the CPU column: this machine's, before scaling).",
        "",
        "| Rows | dry run | import | CPU | whole | rows/s (import) | emails | duplicates "
        "| S3 GETs | dry run = import |",
        "|---|---|---|---|---|---|---|---|---|---|",
        f"| {imported.rows:,} | {imported.dry_run_seconds:.0f} s | {imported.import_seconds:.0f} s "
        f"| {imported.cpu_seconds:.0f} s | {whole:.0f} s | {imported.rows_per_second:,.0f} "
        f"| {imported.emails:,} | {imported.duplicates} | {imported.s3_gets} "
        f"| {'yes' if imported.counts_match else 'no'} |",
        "",
        f"Goal: within one planner run's time ({FUNCTION_SECONDS} s, the functions' "
        f"Timeout), dry run and import together: {whole:.0f} s, "
        f"{mark(whole < FUNCTION_SECONDS)}; every re-permission email sent once "
        f"({imported.emails:,} of {imported.missing_evidence:,}, {imported.duplicates} "
        f"duplicates): {mark(once)}"
        f"; the dry run's counts are the import's: {mark(imported.counts_match)}.",
        "",
    ]


if __name__ == "__main__":
    import sys

    print(run(int(sys.argv[1])))
