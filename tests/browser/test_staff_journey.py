"""A member of staff's whole journey in Debian's chromium, against the local stack: first
sign-in, a new resource, its preview for two groups, a test, the send, the campaign finishing,
and the outbox holding one announcement per interested subscriber and nothing else; then the
month's digest with a note, seen in the preview, scheduled two minutes ahead, sent by the local
stack's scheduler at that time (the stack's clock moved on to it, not waited for) and shown in
the public archive.

Screenshots of the console land in tests/browser/artifacts/ (not committed).
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Iterator

import pytest

from mailer.campaigns.send_time import LONDON
from mailer.local.schedules import POLL_SECONDS
from tests.browser.conftest import ARTIFACTS
from tests.support.localstack import LocalStack

pytestmark = pytest.mark.browser
DIGEST_SUBJECT = "This month, for your congregation"
NOTE = (
    "Anti-Slavery Day falls in October: **plan a service** with "
    "[our guide for congregations](https://www.antislavery.org/)."
)

STAFF, FIRST, CHOSEN = "staff@example.org", "Local-Staff-Password-1", "Chosen-Password-42"
SUBSCRIBERS = [  # (address, group, topics to untick): who should get the new resource
    ("imam@mosque.example.org", "Faith groups", []),
    ("reader@home.example.org", "Individuals", []),
    ("teacher@school.example.org", "Schools", []),  # not an audience of the resource
]


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    """The local stack in a child process."""
    with LocalStack() as running:
        yield running


def _wait_for(stack: LocalStack, subject: str, seconds: float) -> list[dict]:
    """The outbox's emails with this subject, once some arrive (polling for `seconds`)."""
    until = time.monotonic() + seconds
    while True:
        found = [m for m in stack.outbox() if m["subject"] == subject]
        if found or time.monotonic() > until:
            return found
        time.sleep(0.5)


def _subscribe(stack: LocalStack, browser, address: str, group: str) -> None:
    page = browser.new_page()
    page.goto(f"{stack.site}/subscribe")
    page.get_by_label("Email address").fill(address)
    page.get_by_label(group).check()
    page.wait_for_timeout(2100)  # the form's minimum fill time
    page.get_by_role("button", name="Subscribe").click()
    page.get_by_role("heading", name="Check your email").wait_for()
    message = next(m for m in stack.outbox() if m["to"] == address)
    text = message["raw"].replace("=\r\n", "").replace("=3D", "=")
    confirm = re.search(r"http://127\.0\.0\.1:\d+/confirm/[A-Za-z0-9_.\-]+", text).group(0)
    page.goto(confirm)
    page.get_by_role("button", name="Yes, subscribe me").click()
    page.get_by_role("heading", name="You are subscribed").wait_for()
    page.close()


def test_staff_add_preview_test_and_send_an_announcement(stack, browser) -> None:
    for address, group, _ in SUBSCRIBERS:
        _subscribe(stack, browser, address, group)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{stack.site}/staff/")
    page.get_by_label("Email address").fill(STAFF)  # redirected to sign in
    page.get_by_label("Password").fill(FIRST)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Choose your password").wait_for()
    page.get_by_label("New password").fill(CHOSEN)
    page.get_by_role("button", name="Save and continue").click()
    page.get_by_text(f"Signed in as {STAFF} (sender, admin, data protection)").wait_for()
    page.screenshot(path=ARTIFACTS / "staff-01-dashboard.png", full_page=True)

    page.get_by_role("navigation", name="Staff console").get_by_role(
        "link", name="Resources"
    ).click()
    page.get_by_role("link", name="Add a resource").click()
    page.get_by_label("Id (a short slug").fill("faith-and-forced-labour")
    page.get_by_label("Title").fill("Faith and forced labour: a guide for congregations")
    page.get_by_label("Summary").fill(
        "How forced labour hides in everyday supply chains, and what a congregation can ask "
        "of the shops and suppliers it uses."
    )
    page.get_by_label("Publisher").fill("Anti-Slavery International")
    page.get_by_label("Faith groups").check()
    page.get_by_label("Individuals").check()
    page.get_by_label("Labour exploitation and workers' rights").check()
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Saved: Faith and forced labour").wait_for()

    page.get_by_role("link", name=re.compile("^Announce Faith and forced labour")).click()
    page.get_by_role("button", name="Start a draft to faith groups and individuals").click()
    page.get_by_text("Faith groups: 1 person").wait_for()
    page.get_by_text("Individuals: 1 person").wait_for()
    page.get_by_label("A short introduction (optional)").fill("New for Lent: please share it.")
    page.get_by_label("Subject for faith groups").fill("For your congregation: forced labour")
    page.get_by_role("button", name="Save the draft").click()
    page.get_by_text("Saved: the previews below show it as saved.").wait_for()
    frame = page.frame_locator("iframe").first
    frame.get_by_role(
        "heading", name="Faith and forced labour: a guide for congregations"
    ).wait_for()
    frame.get_by_text("New for Lent: please share it.").wait_for()
    page.wait_for_load_state("load")
    page.screenshot(path=ARTIFACTS / "staff-02-draft.png", full_page=True)
    page.get_by_role("button", name="Send the test").click()
    page.get_by_text(f"Sent 2 test emails to {STAFF}.").wait_for()

    page.get_by_role("button", name="Approve this version").click()
    page.get_by_text("Approved: this is now exactly what will be sent.").wait_for()
    page.get_by_role("button", name="Send to 2 people").click()
    page.get_by_role("heading", name="Send to 2 people?").wait_for()
    page.get_by_role("cell", name="For your congregation: forced labour").wait_for()
    page.screenshot(path=ARTIFACTS / "staff-03-confirm.png", full_page=True)
    page.get_by_role("button", name="Yes, send it").click()
    page.get_by_text("finished", exact=False).wait_for(timeout=30_000)
    page.screenshot(path=ARTIFACTS / "staff-04-campaign.png", full_page=True)

    def announcements() -> dict[str, int]:
        counts: dict[str, int] = {}
        for message in stack.outbox():
            if "New for Lent: please share it." in message["raw"].replace("=\r\n", ""):
                counts[message["to"]] = counts.get(message["to"], 0) + 1
        return counts

    assert announcements() == {
        STAFF: 2,  # the tests, one per group
        "imam@mosque.example.org": 1,
        "reader@home.example.org": 1,
    }
    subjects = {
        m["to"]: m["subject"]
        for m in stack.outbox()
        if "New for Lent: please share it." in m["raw"].replace("=\r\n", "")
    }
    assert subjects["imam@mosque.example.org"] == "For your congregation: forced labour"
    assert subjects["reader@home.example.org"].startswith("New: Faith and forced labour")
    page.goto(f"{stack.site}/staff/announce/faith-and-forced-labour")
    page.get_by_text("Every group this resource is for has had it announced").wait_for()
    assert page.get_by_role("button", name=re.compile("^Start a draft")).count() == 0
    assert announcements()["imam@mosque.example.org"] == 1

    # The month's digest: prepared now, a note and a subject saved and seen in the preview,
    # approved, then scheduled two minutes ahead: the local stack's scheduler sends it at that
    # time exactly as approved, and the public archive then shows it (issue 17, item 4).
    page.get_by_role("navigation", name="Staff console").get_by_role(
        "link", name="Next digest"
    ).click()
    page.get_by_role("button", name="Prepare the draft now").click()
    page.get_by_text("Prepared: the senders have been told").wait_for()
    page.get_by_label("Subject for faith groups").fill("This month, for your congregation")
    page.get_by_label(re.compile("^A note for every group")).fill(NOTE)
    page.get_by_role("button", name="Save the draft").click()
    page.get_by_text("Saved: the previews below show it as saved.").wait_for()
    digest_frame = page.frame_locator('iframe[title="The digest for faith groups"]')
    digest_frame.get_by_text("Anti-Slavery Day falls in October").wait_for()  # the note, as saved
    digest_frame.get_by_role("link", name="our guide for congregations").wait_for()
    page.get_by_role("button", name="Approve this version").click()
    page.get_by_text("Approved: this is now exactly what will be sent.").wait_for()
    page.get_by_text("Subject: This month, for your congregation").wait_for()
    digest_frame.get_by_role(
        "heading", name="Faith and forced labour: a guide for congregations"
    ).wait_for()
    page.wait_for_load_state("load")
    page.screenshot(path=ARTIFACTS / "staff-05-digest-draft.png", full_page=True)
    period = re.search(r"/staff/drafts/digest(\d{4})(\d{2})", page.url)
    digest_name = f"{dt.date(int(period[1]), int(period[2]), 1):%B %Y} digest"

    at = (stack.now().astimezone(LONDON) + dt.timedelta(minutes=2)).replace(second=0, microsecond=0)
    page.get_by_label("Day", exact=True).fill(at.date().isoformat())
    page.get_by_label("Time (London)").fill(f"{at:%H:%M}")
    page.get_by_role("button", name="Schedule", exact=True).click()
    page.get_by_text(
        f"Scheduled: it goes out on {at:%A} {at.day} {at:%B %Y} at {at:%H:%M}"
    ).wait_for()
    page.get_by_text("The schedule is set.").wait_for()
    page.screenshot(path=ARTIFACTS / "staff-06-digest-scheduled.png", full_page=True)
    assert not [m for m in stack.outbox() if m["subject"] == DIGEST_SUBJECT]  # not before time

    # The stack's clock moved on, rather than waited for: five seconds short of the time, two
    # rounds of its scheduler send nothing; at the time, the next round sends it.
    stack.move_clock_to(at - dt.timedelta(seconds=5))
    time.sleep(2 * POLL_SECONDS + 0.5)
    assert not _wait_for(stack, DIGEST_SUBJECT, seconds=0)  # not early
    stack.move_clock_to(at)
    digests = _wait_for(stack, DIGEST_SUBJECT, seconds=30)
    assert [m["to"] for m in digests] == ["imam@mosque.example.org"]
    raw = digests[0]["raw"].replace("=\r\n", "")
    assert "Faith and forced labour" in raw and "Anti-Slavery Day falls in October" in raw
    page.reload()
    page.get_by_text("This draft is sent").wait_for()

    page.goto(f"{stack.site}/archive/faith-groups/")
    page.get_by_role("link", name=digest_name).click()
    page.get_by_text("Anti-Slavery Day falls in October").wait_for()
    page.get_by_role("link", name="our guide for congregations").wait_for()
    page.screenshot(path=ARTIFACTS / "staff-07-archived-digest.png", full_page=True)
    assert "imam@mosque.example.org" not in page.content()
