"""An import batch: what staff stated about a list, where its file is, and for each of its two
runs (the dry run, then the import) how far it got, its counts and its report.

Items in the subscribers table (no census cells: they are not people):
  import#<id>                 the batch, with both runs' checkpoints and counts
  import#<id>#<run>#<page>    one page's report: [line, outcome, reason] per row
  importfile#<sha-256>        the first batch that imported a file with these bytes
  imports#recent              the newest batch ids, for the console's list

A page's report and its checkpoint are written in one transaction on the condition that the
checkpoint is still at that page, so a page done twice (a retry, or two runs at once) is
counted once and the run resumes at the first page not yet recorded.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from mailer.aws.table import Table
from mailer.errors import ConflictError, MailerError

from .rows import OUTCOMES

RECENT = 50


class Mode(StrEnum):
    """The two runs of a batch."""

    DRY_RUN = "dry-run"
    IMPORT = "import"


class RunState(StrEnum):
    """Where a run is."""

    WAITING = "waiting"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class ImportRefusedError(MailerError):
    """An import that must not run (no dry run yet, a soft opt-in without its statement)."""


def new_batch_id() -> str:
    """A random batch id (also the file's name in the bucket)."""
    return secrets.token_hex(16)


@dataclass(frozen=True)
class Run:
    """One run's progress."""

    state: RunState = RunState.WAITING
    offset: int = 0  # byte offset of the next row to read
    line: int = 0  # the last line read
    page: int = 0  # pages recorded
    counts: dict[str, int] = field(default_factory=dict)
    error: str = ""
    started_at: str = ""
    finished_at: str = ""

    @property
    def rows(self) -> int:
        """Rows done so far."""
        return sum(self.counts.values())

    def to_item(self) -> dict[str, Any]:
        """As stored."""
        return {
            "state": self.state.value,
            "offset": self.offset,
            "line": self.line,
            "page": self.page,
            "counts": dict(self.counts),
            "error": self.error,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
        }

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> Run:
        """Rebuild from the stored map."""
        return cls(
            RunState(item.get("state", "waiting")),
            int(item.get("offset", 0)),
            int(item.get("line", 0)),
            int(item.get("page", 0)),
            {k: int(v) for k, v in item.get("counts", {}).items()},
            str(item.get("error", "")),
            str(item.get("started_at", "")),
            str(item.get("finished_at", "")),
        )


@dataclass(frozen=True)
class Batch:
    """One list import, as a member of staff declared it."""

    id: str
    source: str  # where the list came from, in the member's words (stored as the statement)
    basis: str
    created_by: str
    created_at: str
    statement_id: str
    collected_directly: bool = False
    collected_on: str = ""
    file: dict[str, Any] = field(default_factory=dict)  # format, size, sha256 once read
    runs: dict[Mode, Run] = field(default_factory=lambda: {m: Run() for m in Mode})

    @property
    def object_key(self) -> str:
        """The file's key in the import bucket."""
        return f"imports/{self.id}.csv"

    def run(self, mode: Mode) -> Run:
        """One run's progress."""
        return self.runs.get(mode, Run())

    def to_item(self) -> dict[str, Any]:
        """As stored."""
        return {
            "pk": f"import#{self.id}",
            "source": self.source,
            "basis": self.basis,
            "created_by": self.created_by,
            "created_at": self.created_at,
            "statement_id": self.statement_id,
            "collected_directly": self.collected_directly,
            "collected_on": self.collected_on,
            "file": dict(self.file),
            "runs": {m.value: r.to_item() for m, r in self.runs.items()},
        }

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> Batch:
        """Rebuild from the stored item."""
        runs = item.get("runs", {})
        return cls(
            id=str(item["pk"]).removeprefix("import#"),
            source=str(item.get("source", "")),
            basis=str(item.get("basis", "")),
            created_by=str(item.get("created_by", "")),
            created_at=str(item.get("created_at", "")),
            statement_id=str(item.get("statement_id", "")),
            collected_directly=bool(item.get("collected_directly", False)),
            collected_on=str(item.get("collected_on", "")),
            file=dict(item.get("file", {})),
            runs={m: Run.from_item(runs.get(m.value, {})) for m in Mode},
        )


class BatchStore:
    """Batches, their checkpoints and reports, in the subscribers table."""

    def __init__(self, table: Table) -> None:
        self._table = table

    def create(self, batch: Batch) -> None:
        """Store a new batch, and list it among the recent ones."""
        action = "creating an import batch"
        self._table.put(batch.to_item(), action=action, condition="attribute_not_exists(pk)")
        self._table.update(
            {"pk": "imports#recent"},
            action=action,
            expression="SET ids = list_append(:id, if_not_exists(ids, :none))",
            values={":id": [batch.id], ":none": []},
        )

    def get(self, batch_id: str) -> Batch | None:
        """A batch by id."""
        if not batch_id.isalnum() or len(batch_id) > 64:
            return None
        item = self._table.get(
            {"pk": f"import#{batch_id}"}, action="reading an import batch", consistent=True
        )
        return Batch.from_item(item) if item else None

    def recent(self) -> list[Batch]:
        """The newest batches, newest first."""
        item = self._table.get({"pk": "imports#recent"}, action="listing import batches") or {}
        found = [self.get(str(i)) for i in item.get("ids", [])[:RECENT]]
        return [b for b in found if b is not None]

    def update_run(
        self,
        batch_id: str,
        mode: Mode,
        changes: Mapping[str, Any],
        file: Mapping[str, Any] | None = None,
    ) -> None:
        """Set fields of one run (and what was learnt about the file)."""
        names = {"#m": mode.value}
        sets, values = [], {}
        for i, (name, value) in enumerate(changes.items()):
            names[f"#f{i}"] = name
            values[f":v{i}"] = value
            sets.append(f"runs.#m.#f{i} = :v{i}")
        if file is not None:
            sets.append("#file = :file")
            names["#file"] = "file"
            values[":file"] = dict(file)
        self._table.update(
            {"pk": f"import#{batch_id}"},
            action="recording an import's progress",
            expression="SET " + ", ".join(sets),
            names=names,
            values=values,
        )

    def checkpoint(
        self,
        batch: Batch,
        mode: Mode,
        report: list[list[Any]],
        offset: int,
        line: int,
    ) -> None:
        """Record one page's report and move the run past it (ConflictError: another run
        recorded this page first)."""
        run = batch.run(mode)
        counts: dict[str, int] = {}
        for _, outcome, _ in report:
            counts[outcome] = counts.get(outcome, 0) + 1
        totals = {o.value: run.counts.get(o.value, 0) + counts.get(o.value, 0) for o in OUTCOMES}
        page = {
            "Put": {
                "Item": {"pk": f"import#{batch.id}#{mode.value}#{run.page:06d}", "rows": report},
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }
        advance = {
            "Update": {
                "Key": {"pk": f"import#{batch.id}"},
                "UpdateExpression": (
                    "SET runs.#m.#page = :next, runs.#m.#offset = :offset, runs.#m.#line = :line, "
                    "runs.#m.#counts = :counts"
                ),
                "ConditionExpression": "runs.#m.#page = :page",
                "ExpressionAttributeNames": {
                    "#m": mode.value,
                    "#page": "page",
                    "#offset": "offset",
                    "#line": "line",
                    "#counts": "counts",
                },
                "ExpressionAttributeValues": {
                    ":next": run.page + 1,
                    ":page": run.page,
                    ":offset": offset,
                    ":line": line,
                    ":counts": totals,
                },
            }
        }
        self._table.transact([page, advance], action="recording an import page")

    def report(self, batch: Batch, mode: Mode) -> list[list[Any]]:
        """Every recorded row of a run: [line, outcome, reason], in file order."""
        pks = [f"import#{batch.id}#{mode.value}#{n:06d}" for n in range(batch.run(mode).page)]
        found = self._table.batch_get([{"pk": pk} for pk in pks], action="reading an import report")
        by_pk = {item["pk"]: item for item in found}
        return [
            [int(r[0]), str(r[1]), str(r[2])]
            for pk in pks
            for r in by_pk.get(pk, {}).get("rows", [])
        ]

    def claim_file(self, sha256: str, batch_id: str) -> str:
        """Note that this batch imports a file with these bytes; the id of the batch that did
        first (this one, unless the same file was imported before)."""
        try:
            self._table.put(
                {"pk": f"importfile#{sha256}", "batch": batch_id},
                action="noting an imported file",
                condition="attribute_not_exists(pk)",
            )
            return batch_id
        except ConflictError:
            key = {"pk": f"importfile#{sha256}"}
            item = self._table.get(key, action="reading an imported file's batch") or {}
            return str(item.get("batch", batch_id))
