"""Every email template, rendered for real and opened in chromium at 320 px, light and dark."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mailer.campaigns import variants
from mailer.campaigns.model import Period
from mailer.campaigns.selection import select_resources
from mailer.catalogue.schema import Catalogue
from mailer.emails import views
from mailer.emails.render import EmailRenderer
from mailer.subscribers import notices
from tests.browser.conftest import ARTIFACTS

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
SITE = "https://mailer.example.org"
RECIPIENT = {
    "greeting": views.greeting("Oluwaseun Adebayo-Richardson"),
    "manage_url": f"{SITE}/preferences/" + "x" * 120,
    "unsubscribe_url": f"{SITE}/unsubscribe/" + "y" * 120,
    "confirm_url": f"{SITE}/confirm/" + "z" * 120,
}


def _emails() -> dict[str, tuple[str, dict]]:
    catalogue = Catalogue.load(REPO / "catalogue")
    vocabulary = catalogue.vocabulary
    period = Period.parse("2026-12")
    resource = catalogue.by_id()["illegal-migration-bill-lords-committee-2023"]
    emails = {
        "confirm": ("confirm_subscription", notices.confirm_context(7)),
        "manage": ("manage_subscription", {"reason": ""}),
        "announcement": (
            "announcement",
            variants.announcement_context(
                vocabulary, SITE, "individuals", [], resource, "Please share this with your MP."
            ),
        ),
        "preferences": (
            "preferences_changed",
            notices.preferences_changed_context(
                vocabulary, "faith-groups", list(vocabulary.topics)[:6]
            ),
        ),
        "nothing-new": (
            "digest",
            variants.digest_context(vocabulary, SITE, "schools", ["housing"], period, []),
        ),
    }
    for audience in vocabulary.audiences:
        picks = select_resources(catalogue.resources, audience, [], period)
        emails[f"digest-{audience}"] = (
            "digest",
            variants.digest_context(vocabulary, SITE, audience, [], period, picks),
        )
    return emails


EMAILS = _emails()


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("name", sorted(EMAILS))
def test_email_fits_a_320px_screen(browser, name: str, scheme: str) -> None:
    template, context = EMAILS[name]
    renderer = EmailRenderer(
        REPO / "templates" / "email",
        {
            "site_url": SITE,
            "charity_name": "Anti-Slavery International",
            "charity_address": "A postal address, London",
        },
    )
    html = renderer.render(template, context, RECIPIENT).html
    page = browser.new_page(viewport={"width": 320, "height": 640}, color_scheme=scheme)
    page.set_content(html, wait_until="domcontentloaded")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 320, f"{name} is {width}px wide at 320px"
    # Each image has alt text, or is decorative (alt="") inside a link that has words of its own.
    assert page.evaluate(
        """[...document.images].every(i => i.alt.trim().length > 0
               || (i.getAttribute("alt") === "" && i.closest("a")?.innerText.trim().length > 0))"""
    )
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert (background == "rgb(18, 18, 18)") == (scheme == "dark")
    text = page.evaluate("document.body.innerText")
    assert "Oluwaseun" in text or template in ("confirm_subscription", "manage_subscription")
    page.screenshot(path=ARTIFACTS / f"template-{name}-{scheme}.png", full_page=True)
    page.close()
    assert re.search(r'<html[^>]+lang="en-GB"', html)
