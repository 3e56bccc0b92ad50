"""The public archive: every campaign a group was sent, newest first, each as a page of this
site at the address its email links to, made from what the archive kept when it started (the
campaign's frozen snapshot). No page carries a subscriber's name, address or link: the
content was worked out for the group, never for a person."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Blueprint, abort, render_template

from .extensions import container_of

if TYPE_CHECKING:  # the container's archive imports it when a page first reads the archive
    from mailer.campaigns.archive import ArchiveEntry

bp = Blueprint("archive", __name__, url_prefix="/archive")


def _group(audience: str) -> str:
    """The group's name; 404 for anything that is not one of our groups."""
    label = container_of().vocabulary.audiences.get(audience)
    if label is None:
        abort(404, "We send emails to schools, faith groups and individuals: choose one.")
    return label


@bp.get("/")
def groups() -> Any:
    """Which groups have an archive: one link each."""
    return render_template("archive/groups.html", groups=container_of().vocabulary.audiences)


@bp.get("/<audience>/")
def index(audience: str) -> Any:
    """A group's emails, newest first (those staff hid are left out)."""
    label = _group(audience)
    entries = container_of().archive.entries(audience)
    return render_template("archive/index.html", audience=audience, label=label, entries=entries)


@bp.get("/<audience>/<slug>")
def email(audience: str, slug: str) -> Any:
    """One group's email of one campaign, as it was sent but for the subscriber's own links."""
    label = _group(audience)
    entry = container_of().archive.entry(audience, slug)
    if entry is None or entry.hidden:
        abort(404, "This email is not in our archive. It may have been taken out of it.")
    return render_template(
        f"archive/{_template(entry)}.html", audience=audience, label=label, entry=entry
    )


def _template(entry: ArchiveEntry) -> str:
    """The page for the email it was ("digest" or "announcement")."""
    return "announcement" if entry.template == "announcement" else "digest"
