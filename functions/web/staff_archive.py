"""Staff choose what the public archive shows: a sender may hide a campaign from it (every
group's page, the index and the feed) and show it again; each change is audited."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, g, redirect, url_for

from mailer.campaigns.model import is_campaign_id

from .extensions import container_of
from .staff import staff_required
from .staff_forms import ButtonForm

bp = Blueprint("staff_archive", __name__, url_prefix="/staff")

_DONE = {
    "hide": "Hidden from the public archive: its pages, the index and the feeds leave it out.",
    "show": "Shown in the public archive again.",
}
_UNCHANGED = {
    "hide": "Nothing to hide: it is not in the public archive, or hidden already.",
    "show": "Nothing to show: it is not in the public archive, or shown already.",
}


@bp.post("/campaigns/<path:campaign>/archive/<any(hide, show):action>")
@staff_required(sender=True)
def archive(campaign: str, action: str) -> Any:
    """Hide a campaign from the public archive, or show it again (senders only)."""
    if not ButtonForm().validate_on_submit():
        abort(400, "Please use the buttons on the campaign page.")
    container = container_of()
    found = container.campaigns.get(campaign) if is_campaign_id(campaign) else None
    if found is None:
        abort(404, "There is no such campaign.")
    changed = container.archive.set_hidden(found, action == "hide")
    if changed:
        what = "hid a campaign from" if action == "hide" else "showed a campaign in"
        container.audit_log.record(
            g.staff, f"{what} the archive", {"campaign": campaign, "groups": ", ".join(changed)}
        )
    flash(_DONE[action] if changed else _UNCHANGED[action])
    return redirect(url_for("staff_campaigns.campaign", campaign=campaign), 303)
