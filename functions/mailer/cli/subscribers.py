"""`mailer subscribers import FILE.csv`: the console's list import, for engineers. The file goes
to the import bucket, the dry run's report comes first, then (unless --dry-run) the import,
with progress after every page; the same rules, the same batch records, the same audit."""

from __future__ import annotations

import csv
from pathlib import Path

import click

from mailer.imports.batch import Batch, Mode, RunState
from mailer.imports.rows import OUTCOMES
from mailer.subscribers.provenance import Basis

from .context import Group, actor, container_of, echo


@click.group(cls=Group)
def subscribers() -> None:
    """Subscriber lists: import one from CSV."""


def _progress(mode: Mode) -> object:
    def show(batch: Batch) -> None:
        echo(f"  {mode.value}: {batch.run(mode).rows} row(s) done", err=True)

    return show


def _summary(batch: Batch, mode: Mode) -> None:
    run = batch.run(mode)
    echo(f"{mode.value} {run.state.value}: {run.rows} row(s)")
    for outcome in OUTCOMES:
        if run.counts.get(outcome.value):
            echo(f"  {outcome.value}: {run.counts[outcome.value]}")
    if run.error:
        echo(f"  error: {run.error}")


@subscribers.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--source", required=True, help="where the list came from (kept with each person)")
@click.option(
    "--basis",
    type=click.Choice([b.value for b in Basis]),
    required=True,
    help="the lawful basis for emailing these people",
)
@click.option(
    "--collected-directly",
    is_flag=True,
    help="soft opt-in: we collected these details directly, with an opt-out offered then",
)
@click.option("--collected-on", default="", help="soft opt-in: when (YYYY-MM-DD)")
@click.option("--dry-run", is_flag=True, help="only report what would happen to each row")
@click.option(
    "--report",
    type=click.Path(dir_okay=False, path_type=Path),
    help="write the per-row report here (CSV)",
)
@click.option("--yes", is_flag=True, help="import after the dry run without asking")
@click.pass_context
def import_list(
    ctx: click.Context,
    file: Path,
    source: str,
    basis: str,
    collected_directly: bool,
    collected_on: str,
    dry_run: bool,
    report: Path | None,
    yes: bool,
) -> None:
    """Import FILE.csv (columns: email, group, topics, name, organisation, consented_at,
    source). Importing the same file again changes and sends nothing more."""
    container = container_of(ctx)
    importer, batches = container.importer, container.import_batches
    batch = importer.declare(
        source=source,
        basis=basis,
        created_by=actor(),
        collected_directly=collected_directly,
        collected_on=collected_on,
    )
    container.list_files.put(batch.object_key, file.read_bytes())
    container.audit_log.record(actor(), "declared an import", {"batch": batch.id, "basis": basis})
    echo(f"batch {batch.id}")
    batch = importer.run(batch.id, Mode.DRY_RUN, on_page=_progress(Mode.DRY_RUN)).batch
    _summary(batch, Mode.DRY_RUN)
    rows = batches.report(batch, Mode.DRY_RUN)
    if report is not None:
        with report.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(["line", "outcome", "reason"])
            writer.writerows(rows)
    else:
        for line, outcome, reason in rows:
            if outcome != "new":
                echo(f"  line {line}: {outcome}{': ' + reason if reason else ''}")
    if batch.run(Mode.DRY_RUN).state is not RunState.DONE or dry_run:
        return
    if not yes:
        click.confirm("Import these rows now?", abort=True)
    container.audit_log.record(actor(), "started an import", {"batch": batch.id})
    batch = importer.run(batch.id, Mode.IMPORT, on_page=_progress(Mode.IMPORT)).batch
    _summary(batch, Mode.IMPORT)
