"""The staff export of one group's confirmed subscribers, as CSV (data-protection members only,
audited by group and count; formulas neutralised, erased people never in it)."""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import Blueprint, Response, g

from mailer.subscribers.export import COLUMNS, group_rows

from .data_protection_forms import ExportForm
from .extensions import container_of
from .staff import page
from .staff_people import data_protection_required

bp = Blueprint("staff_export", __name__, url_prefix="/staff/export")


@bp.get("/")
@data_protection_required
def index() -> Any:
    """Choose the group."""
    return page("staff/export.html", form=ExportForm(container_of().vocabulary))


@bp.post("/")
@data_protection_required
def export() -> Any:
    """The group's confirmed subscribers, with topics, basis and source."""
    container = container_of()
    form = ExportForm(container.vocabulary)
    if not form.validate_on_submit():
        return page("staff/export.html", 400, form=form)
    audience = form.audience.data
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    count = 0
    for cells in group_rows(container.subscriber_store, audience):
        writer.writerow(cells)
        count += 1
    container.audit_log.record(
        g.staff, "exported a group", {"group": audience, "subscribers": count}
    )
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="subscribers-{audience}.csv"',
            "Cache-Control": "no-store",
        },
    )
