"""A subscriber's whole journey in Debian's chromium, against the local stack (`make run`).

Screenshots of each page land in tests/browser/artifacts/ (not committed).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.browser.conftest import ARTIFACTS
from tests.support.localstack import LocalStack, http, one_click

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    """The local stack in a child process."""
    with LocalStack() as running:
        yield running


def _fits_the_phone(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"{page.url} is {width}px wide on a 390px phone"


def _latest(stack: LocalStack, to: str, subject: str) -> dict:
    matching = [m for m in stack.outbox() if m["to"] == to and m["subject"] == subject]
    assert matching, f"no {subject!r} email to {to}: {[m['subject'] for m in stack.outbox()]}"
    return matching[0]


def _link(message: dict, path: str) -> str:
    text = message["raw"].replace("=\r\n", "").replace("=3D", "=")
    match = re.search(rf"http://127\.0\.0\.1:\d+{re.escape(path)}[A-Za-z0-9_.\-]+", text)
    assert match, f"no {path} link in the email"
    return match.group(0)


def test_subscribe_confirm_change_preferences_and_unsubscribe(stack, browser) -> None:
    address = "teacher@school.example.org"
    page = browser.new_page(viewport={"width": 390, "height": 844})  # a phone
    page.goto(stack.site + "/")
    _fits_the_phone(page)
    page.screenshot(path=ARTIFACTS / "01-catalogue.png", full_page=True)
    page.get_by_role("link", name="Get the monthly digest").click()

    page.get_by_label("Email address").fill(address)
    page.get_by_label("Schools").check()
    page.get_by_label("Migrant domestic workers").uncheck()
    assert page.get_by_label("Your name (optional)").count() == 0  # asked after confirming
    _fits_the_phone(page)
    page.screenshot(path=ARTIFACTS / "02-subscribe-form.png", full_page=True)
    page.wait_for_timeout(2100)  # the form's minimum fill time, which stops bots
    page.get_by_role("button", name="Subscribe").click()
    page.get_by_role("heading", name="Check your email").wait_for()
    _fits_the_phone(page)
    page.screenshot(path=ARTIFACTS / "03-check-your-email.png", full_page=True)

    confirm_email = _latest(stack, address, "Please confirm your subscription")
    confirm_url = _link(confirm_email, "/confirm/")
    # A school mail scanner fetches the link first: that must not confirm anything.
    assert http(confirm_url)[0] == 200
    page.goto(confirm_url)  # no script presses the button: the person does
    shown = page.content()  # what is being confirmed
    assert "<strong>schools</strong>" in shown and "Migrant domestic workers" not in shown
    page.get_by_role("button", name="Yes, subscribe me").click()
    page.get_by_role("heading", name="You are subscribed").wait_for()
    _fits_the_phone(page)
    page.screenshot(path=ARTIFACTS / "04-confirmed.png", full_page=True)

    manage = "Add your name or organisation, or change your preferences"
    page.get_by_role("link", name=manage).click()
    page.get_by_label("Your name (optional)").fill("Ms Okafor")
    page.get_by_label("Faith groups").check()
    page.get_by_role("button", name="Save my preferences").click()
    page.get_by_text("Your preferences are saved.").wait_for()
    assert page.get_by_label("Faith groups").is_checked()
    assert not page.get_by_label("Migrant domestic workers").is_checked()
    _fits_the_phone(page)
    page.screenshot(path=ARTIFACTS / "05-preferences-saved.png", full_page=True)

    notice = _latest(stack, address, "Your subscription preferences have changed")
    unsubscribe_url = notice["list_unsubscribe"].strip("<>")
    assert one_click(unsubscribe_url) == 200
    page.reload()  # unsubscribing revoked every earlier link, this page's own included
    page.get_by_role("heading", name="There is no subscription for this link").wait_for()
    _fits_the_phone(page)
    page.screenshot(path=ARTIFACTS / "06-unsubscribed.png", full_page=True)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_email_reads_at_320px(stack, browser, scheme: str) -> None:
    """Each sent email fits a 320 px screen without sideways scrolling, in light and dark."""
    messages = stack.outbox()
    assert messages, "the journey test sends the emails this test looks at"
    page = browser.new_page(viewport={"width": 320, "height": 640}, color_scheme=scheme)
    for message in messages:
        page.goto(f"{stack.site}/dev/outbox/{message['id']}.html")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 320, f"{message['subject']!r} is {width}px wide"
        name = re.sub(r"[^a-z]+", "-", message["subject"].lower()).strip("-")[:40]
        page.screenshot(path=ARTIFACTS / f"email-{name}-{scheme}.png", full_page=True)
    if scheme == "dark":
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert background == "rgb(18, 18, 18)"


def test_the_proof_of_work_widget_solves_under_our_csp_and_the_server_accepts_it(
    stack, browser
) -> None:
    """Issue 10, item 1: the vendored ALTCHA widget runs from our own static files under the
    strict CSP (no third-party request, no console error), and its payload is one the server's
    `altcha` package verifies."""
    from mailer.subscribers.proof import Proof, ProofOfWork

    page = browser.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    page.goto(stack.site + "/subscribe")
    payload = ""
    for _ in range(60):  # the widget solves on load, in a worker
        page.wait_for_timeout(250)
        field = page.locator("input[name=altcha]")
        if field.count() and (payload := field.input_value()):
            break
    assert payload, "the widget did not solve its challenge"
    assert "Verified" in page.locator("altcha-widget").inner_text()
    assert problems == []
    assert all(url.startswith(stack.site) for url in requested), requested

    class Unspent:  # the real FormNonces spends each solution once (tests/component shows it)
        def spend(self, nonce: str, lifetime: int) -> bool:
            return True

    check = ProofOfWork(stack.env["SECRET_KEY"], Unspent(), 3600)  # type: ignore[arg-type]
    assert check.check(payload) is Proof.SOLVED
