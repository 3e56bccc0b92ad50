"""Staff pages for importing a list (data-protection members only): state where it came from and
its basis, upload the file straight to S3 (a presigned POST, so its size is not bound by the
API's payload limit), read the dry run's report, then import; progress shows while it runs.

The work itself never runs in a request: the import function does it (container.import_starter),
page by page. Every step is audited by batch id; no address appears in a page or a log.
"""

from __future__ import annotations

import csv
import io
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, abort, g, redirect, url_for

from mailer.imports.batch import Batch, ImportRefusedError, Mode, RunState
from mailer.imports.rows import OUTCOMES
from mailer.subscribers.provenance import BASIS_LABELS, Basis

from .data_protection_forms import ImportForm
from .extensions import container_of
from .staff import page
from .staff_forms import ButtonForm
from .staff_people import data_protection_required

bp = Blueprint("staff_imports", __name__, url_prefix="/staff/imports")

REPORT_SHOWN = 200  # rows of the report on the page; the CSV has them all


def _batch(batch_id: str) -> Batch:
    batch = container_of().import_batches.get(batch_id)
    if batch is None:
        abort(404, "There is no import with that id.")
    return batch


def _index(form: ImportForm | None = None, status: int = 200, error: str = "") -> Any:
    return page(
        "staff/imports.html",
        status,
        form=form or ImportForm(formdata=None),
        batches=container_of().import_batches.recent(),
        error=error,
    )


@bp.get("/")
@data_protection_required
def index() -> Any:
    """Recent imports, and the form that starts one."""
    return _index()


@bp.post("/")
@data_protection_required
def declare() -> Any:
    """A new batch for what the member states about the list."""
    form = ImportForm()
    if not form.validate_on_submit():
        return _index(form, 400)
    try:
        batch = container_of().importer.declare(
            source=form.source.data,
            basis=form.basis.data,
            created_by=g.staff.email,
            collected_directly=bool(form.collected_directly.data),
            collected_on=(form.collected_on.data or "").strip(),
        )
    except ImportRefusedError as exc:
        field = form.collected_directly if form.basis.data == Basis.SOFT_OPT_IN else form.basis
        field.errors = [*field.errors, str(exc).capitalize() + "."]
        return _index(form, 400)
    container_of().audit_log.record(
        g.staff, "declared an import", {"batch": batch.id, "basis": batch.basis}
    )
    return redirect(url_for("staff_imports.batch", batch_id=batch.id), 303)


@bp.get("/<batch_id>")
@data_protection_required
def batch(batch_id: str) -> Any:
    """The batch: its upload form, its runs' progress and the dry run's report."""
    container = container_of()
    found = _batch(batch_id)
    upload = None
    if not found.file and found.run(Mode.DRY_RUN).state is RunState.WAITING:
        site = container.settings.site_url
        upload = container.list_files.upload_form(
            found.object_key, f"{site}{url_for('staff_imports.batch', batch_id=found.id)}"
        )
    dry, imported = found.run(Mode.DRY_RUN), found.run(Mode.IMPORT)
    report = container.import_batches.report(found, Mode.DRY_RUN)[:REPORT_SHOWN]
    response = page(
        "staff/import.html",
        batch=found,
        basis_label=BASIS_LABELS.get(Basis(found.basis), found.basis),
        upload=upload,
        dry=dry,
        imported=imported,
        outcomes=[o.value for o in OUTCOMES],
        report=report,
        button=ButtonForm(),
        running=RunState.RUNNING in (dry.state, imported.state),
    )
    if upload:
        # The form posts the file to the bucket itself: let this one page's form go there.
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(upload["url"]))
        html, status = response
        response = Response(html, status)
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            f"frame-ancestors 'none'; form-action 'self' {origin}; base-uri 'none'"
        )
    return response


def _start(batch_id: str, mode: Mode, action: str) -> Any:
    found = _batch(batch_id)
    if not ButtonForm().validate_on_submit():
        abort(400, "Please use the button on the import's page.")
    container = container_of()
    if mode is Mode.IMPORT and found.run(Mode.DRY_RUN).state is not RunState.DONE:
        abort(400, "Run the dry run first, and read its report.")
    container.audit_log.record(g.staff, action, {"batch": found.id})
    container.import_starter.start(found.id, mode)
    return redirect(url_for("staff_imports.batch", batch_id=found.id), 303)


@bp.post("/<batch_id>/dry-run")
@data_protection_required
def dry_run(batch_id: str) -> Any:
    """Start the dry run (safe to press twice: a finished run is left alone)."""
    return _start(batch_id, Mode.DRY_RUN, "started an import's dry run")


@bp.post("/<batch_id>/import")
@data_protection_required
def run_import(batch_id: str) -> Any:
    """Start the import itself, after the dry run (safe to press twice)."""
    return _start(batch_id, Mode.IMPORT, "started an import")


@bp.get("/<batch_id>/report.csv")
@data_protection_required
def report_csv(batch_id: str) -> Any:
    """Every row's outcome (line, outcome, reason: no addresses), as CSV."""
    found = _batch(batch_id)
    container = container_of()
    mode = Mode.IMPORT if found.run(Mode.IMPORT).page else Mode.DRY_RUN
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["line", "outcome", "reason"])
    writer.writerows(container.import_batches.report(found, mode))
    container.audit_log.record(g.staff, "downloaded an import report", {"batch": found.id})
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="import-{found.id}-{mode.value}.csv"',
            "Cache-Control": "no-store",
        },
    )
