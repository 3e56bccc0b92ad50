"""What staff see before anything is sent: each group's email as the sender renders it, in a
sandboxed frame, and how many people each group has."""

from __future__ import annotations

from flask import Response

from mailer.campaigns.model import Campaign
from mailer.campaigns.preview import Preview, preview, reader

from .extensions import container_of

# The preview frame shows an email as a mail client would: its inline styles, nothing else.
_PREVIEW_CSP = (
    "default-src 'none'; img-src 'self' https: data:; style-src 'unsafe-inline'; "
    "frame-ancestors 'self'; sandbox"
)


def previews(campaign: Campaign, to: str = "", *, test: bool = False) -> dict[str, Preview | None]:
    """Each group's email for a stand-in reader (or addressed `to` someone), from the
    campaign's snapshot when it has one."""
    container = container_of()
    return {
        audience: preview(
            container.composer,
            campaign,
            container.resources(),
            reader(audience, email=to),
            container.settings.site_url,
            test=test,
        )
        for audience in campaign.audiences
    }


def counts(campaign: Campaign) -> dict[str, int]:
    """How many confirmed subscribers of each group the campaign has an email for."""
    return {plan.audience: plan.relevant for plan in container_of().planner.dry_run(campaign)}


def email_frame(shown: Preview) -> Response:
    """An email's HTML for a sandboxed preview frame."""
    response = Response(shown.email.html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = _PREVIEW_CSP
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


def test_recipients(own: str) -> list[str]:
    """Where a draft's test may go: the member's own address first, then every other member
    of staff, then the configured test addresses (TEST_ADDRESSES)."""
    container = container_of()
    members = [m.email for m in container.staff_members.list() if m.enabled and m.email]
    extra = container.settings.test_addresses.split()
    return list(dict.fromkeys([own, *members, *extra]))
