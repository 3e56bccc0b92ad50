"""axe-core in chromium on every page people see and every email the mailer sends, in light and
dark mode, at 320 px and at desktop width: no critical or serious violation. Moderate and minor
ones are printed (run with -s to read them).

axe-core is the npm package pinned in tests/browser/package.json (`make test` installs it).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import ARTIFACTS
from tests.support.every_email import every_email_on_moto
from tests.support.localstack import LocalStack

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
MODES = [(320, "light"), (320, "dark"), (1280, "light"), (1280, "dark")]
BLOCKING = ("critical", "serious")
# Mail clients put an email inside their own page, which has the landmarks and main region: an
# email's HTML can have neither, so these two rules cannot apply to emails (pages keep them).
NOT_FOR_EMAILS = ["landmark-one-main", "region"]

findings: dict[str, dict[str, int]] = {}


@pytest.fixture(scope="module")
def axe_source() -> str:
    """axe-core's script."""
    if not AXE.exists():
        pytest.fail("axe-core is missing: run `make test` (it runs npm ci in tests/browser)")
    return AXE.read_text(encoding="utf-8")


def _audit(page: Any, name: str, axe_source: str, disabled: list[str] = ()) -> list[str]:
    """Run axe in every mode on the loaded page; return the blocking violations, described."""
    page.evaluate(axe_source)  # evaluate, not a <script> tag: the pages' CSP forbids inline code
    blocking = []
    for width, scheme in MODES:
        page.set_viewport_size({"width": width, "height": 900})
        page.emulate_media(color_scheme=scheme)
        result = page.evaluate(
            """disabled => axe.run(document, {
                   resultTypes: ["violations"],
                   rules: Object.fromEntries(disabled.map(id => [id, {enabled: false}])),
               })""",
            list(disabled),
        )
        counts = findings.setdefault(f"{name} {width}px {scheme}", {})
        for violation in result["violations"]:
            impact = violation["impact"] or "minor"
            counts[impact] = counts.get(impact, 0) + len(violation["nodes"])
            line = (
                f"{name} at {width}px, {scheme}: {impact} {violation['id']} "
                f"({violation['help']}) on {violation['nodes'][0]['target']}"
            )
            if impact in BLOCKING:
                blocking.append(line)
            else:
                print(line)
    return blocking


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    """The local stack in a child process."""
    with LocalStack() as running:
        yield running


def _latest_link(stack: LocalStack, to: str, subject: str, path: str) -> str:
    for message in stack.outbox():
        if message["to"] == to and message["subject"].startswith(subject):
            text = message["raw"].replace("=\r\n", "").replace("=3D", "=")
            match = re.search(rf"http://127\.0\.0\.1:\d+{re.escape(path)}[A-Za-z0-9_.\-]+", text)
            assert match, f"no {path} link in {subject!r}"
            return match.group(0)
    raise AssertionError(f"no {subject!r} email to {to}")


def test_every_page_has_no_serious_accessibility_violation(stack, browser, axe_source) -> None:
    """Each page a person meets, from the catalogue to the erased-data page, as they meet it."""
    context = browser.new_context()
    page = context.new_page()
    blocking: list[str] = []

    def visit(name: str, url: str | None = None) -> None:
        if url is not None:
            page.goto(url)
        blocking.extend(_audit(page, name, axe_source))

    site = stack.site
    visit("catalogue", f"{site}/")
    visit("catalogue filtered", f"{site}/?audience=schools&topic=housing")
    visit("resource", f"{site}/resources/safe-homes")
    visit("not found", f"{site}/no/such/page")
    visit("embedded form", f"{site}/subscribe/embed")
    visit("subscribe form", f"{site}/subscribe")
    page.get_by_label("Email address").fill("not an address")
    page.get_by_label("Schools").check()
    page.wait_for_timeout(2100)  # the form's minimum fill time
    page.get_by_role("button", name="Subscribe").click()
    visit("subscribe form with errors")

    def subscribe_and_confirm(address: str, audit: bool) -> str:
        """Subscribe, confirm, and return the preferences page's address."""
        if not audit:
            page.goto(f"{site}/subscribe")
            page.get_by_label("Schools").check()
        page.get_by_label("Email address").fill(address)
        page.wait_for_timeout(2100)
        page.get_by_role("button", name="Subscribe").click()
        page.get_by_role("heading", name="Check your email").wait_for()
        confirm_url = _latest_link(stack, address, "Please confirm", "/confirm/")
        if audit:
            visit("check your email")
            visit("confirm", confirm_url)
            visit("link problem", confirm_url[:-6] + "broken")
        page.goto(confirm_url)
        page.get_by_role("button", name="Yes, subscribe me").click()
        page.get_by_role("heading", name="You are subscribed").wait_for()
        if audit:
            visit("confirmed")
        page.get_by_role("link", name="Change your preferences").click()
        return page.url

    address = "a11y@example.org"
    preferences_url = subscribe_and_confirm(address, audit=True)
    visit("preferences")
    page.get_by_label("Faith groups").check()
    page.get_by_role("button", name="Save my preferences").click()
    page.get_by_text("Your preferences are saved.").wait_for()
    visit("preferences saved")
    unsubscribe_url = _latest_link(stack, address, "Your subscription preferences", "/unsubscribe/")
    visit("unsubscribe", unsubscribe_url)
    page.get_by_role("button", name=re.compile("Unsubscribe")).first.click()
    visit("unsubscribed")
    visit("preferences, link revoked", preferences_url)
    page.goto(subscribe_and_confirm("a11y.erase@example.org", audit=False))
    page.get_by_label("Yes, erase my data").check()
    page.get_by_role("button", name=re.compile("Erase")).click()
    visit("erased")
    # Issue 17: the public archive of a sent digest, and its index per group.
    sent = stack.run(".venv/bin/mailer", "digest", "send", "--period", "2026-12")
    assert sent.returncode == 0, sent.stderr
    visit("archive, every group", f"{site}/archive/")
    visit("archive for schools", f"{site}/archive/schools/")
    page.screenshot(path=ARTIFACTS / "archive-index-schools.png", full_page=True)
    visit("archived digest", f"{site}/archive/schools/digest-2026-12")
    page.screenshot(path=ARTIFACTS / "archive-digest-schools.png", full_page=True)
    visit("archive, not found", f"{site}/archive/schools/digest-2020-01")
    context.close()
    assert blocking == [], "\n".join(blocking)


def test_every_staff_page_has_no_serious_accessibility_violation(stack, browser, axe_source):
    """The console, from its sign-in page to a campaign's counts."""
    page = browser.new_page()
    blocking: list[str] = []

    def visit(name: str, url: str | None = None) -> None:
        if url is not None:
            page.goto(url)
        blocking.extend(_audit(page, name, axe_source))

    staff = f"{stack.site}/staff"
    visit("staff sign-in", f"{staff}/sign-in")
    page.get_by_label("Email address").fill("staff@example.org")
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Sign in").click()
    visit("staff sign-in refused")
    page.get_by_label("Password").fill("Local-Staff-Password-1")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Choose your password").wait_for()
    visit("staff new password")
    page.get_by_label("New password").fill("Chosen-Password-42")
    page.get_by_role("button", name="Save and continue").click()
    page.get_by_role("heading", name="Staff console").wait_for()
    visit("staff dashboard")
    visit("staff resources", f"{staff}/resources/")
    visit("staff new resource", f"{staff}/resources/new")
    page.get_by_role("button", name="Save").click()
    visit("staff new resource with errors")
    visit("staff edit resource", f"{staff}/resources/safe-homes/edit")
    visit("staff announce", f"{staff}/announce/safe-homes")
    page.get_by_role("button", name=re.compile("^Start a draft")).click()
    page.get_by_role("heading", name="Announcement draft").wait_for()
    visit("staff draft")
    page.get_by_label("Subject for individuals").fill("Form\x0cfeed")
    page.get_by_role("button", name="Save the draft").click()
    visit("staff draft with errors")
    # Issue 17, item 4: an approved draft's schedule form, its errors, a scheduled draft.
    page.get_by_role("button", name="Approve this version").click()
    page.get_by_text("Approved: this is now exactly what will be sent.").wait_for()
    visit("staff approved draft")
    page.get_by_label("Day", exact=True).fill("")
    page.get_by_role("button", name="Schedule", exact=True).click()
    page.get_by_text("Choose the day it goes out.").wait_for()
    visit("staff schedule with errors")
    page.screenshot(path=ARTIFACTS / "staff-schedule-errors.png", full_page=True)
    page.get_by_label("Day", exact=True).fill(f"{dt.date.today() + dt.timedelta(days=30)}")
    page.get_by_role("button", name="Schedule", exact=True).click()
    page.get_by_text("The schedule is set.").wait_for()
    visit("staff scheduled draft")
    visit("staff drafts", f"{staff}/drafts/")
    visit("staff audit log", f"{staff}/audit")
    visit("staff campaigns", f"{staff}/campaigns/")
    visit("staff next digest", f"{staff}/digest")
    # Issue 17: awareness days, and a sent campaign's page with its archive controls.
    visit("staff awareness days", f"{staff}/days/")
    visit("staff new awareness day", f"{staff}/days/new")
    page.get_by_role("button", name="Save").click()
    visit("staff new awareness day with errors")
    page.screenshot(path=ARTIFACTS / "staff-awareness-day-errors.png", full_page=True)
    visit("staff edit awareness day", f"{staff}/days/anti-slavery-day/edit")
    visit("staff campaign with its archive", f"{staff}/campaigns/digest%232026-12")
    # Issue 18: the data-protection pages (the local stack's staff is in that group).
    visit("staff find a person", f"{staff}/people/")
    page.get_by_label("Email address").fill("not an address")
    page.get_by_role("button", name="Look up").click()
    visit("staff find a person with an error")
    page.get_by_label("Email address").fill("nobody@example.org")
    page.get_by_role("button", name="Look up").click()
    visit("staff find a person, not known")
    visit("staff suppressions", f"{staff}/suppressions/")
    visit("staff import", f"{staff}/imports/")
    page.get_by_role("button", name="Continue to the upload").click()
    visit("staff import with errors")
    visit("staff export", f"{staff}/export/")
    page.close()
    assert blocking == [], "\n".join(blocking)


@pytest.fixture(scope="module")
def emails() -> Iterator[dict[str, Any]]:
    """One sent message of every kind, made on in-process moto."""
    with every_email_on_moto() as made:
        yield made


def test_every_email_has_no_serious_accessibility_violation(browser, axe_source, emails) -> None:
    page = browser.new_page()
    blocking: list[str] = []
    for kind, message in emails.items():
        page.set_content(message.html)
        blocking += _audit(page, f"email {kind}", axe_source, NOT_FOR_EMAILS)
        page.set_viewport_size({"width": 390, "height": 844})
        page.emulate_media(color_scheme="dark")
        page.screenshot(path=ARTIFACTS / f"email-dark-{kind}.png", full_page=True)
    assert blocking == [], "\n".join(blocking)


@pytest.fixture(scope="module", autouse=True)
def _counts_for_the_record() -> Iterator[None]:
    """After the module: violations by impact, per page or email and mode (run with -s)."""
    yield
    for name, counts in sorted(findings.items()):
        if counts:
            print(f"{name}: {', '.join(f'{n} {impact}' for impact, n in sorted(counts.items()))}")
