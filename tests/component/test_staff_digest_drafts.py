"""The digest draft in the console: prepared by a press (or the schedule), edited by any member
with each problem beside its field, approved only by a sender, marked where a non-sender wrote."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from click.testing import CliRunner

from mailer.campaigns.digests import digest_draft_id
from mailer.campaigns.drafts import DraftState
from mailer.campaigns.model import Kind, campaign_id
from mailer.catalogue.schema import Resource
from mailer.cli.main import main
from mailer.cli.progress import Progress
from mailer.container import Container
from tests.support.digest import FakeClock, add, add_people
from tests.support.mail import sent_mail
from tests.support.staff import CHOSEN, EDITOR, SENDER, sign_in, signed_in_as_sender, submit


@pytest.fixture
def people(staff: Container) -> Container:
    add_people(staff.subscriber_store)
    add(staff.subscriber_store, "fay@example.org", "faith-groups", (), "Fay")
    return staff


@pytest.fixture
def sender(staff_browser, people, staff_clock):
    signed_in_as_sender(staff_browser)
    staff_clock.advance(1)
    return staff_browser


def _version(page: str) -> str:
    return re.search(r'name="version"[^>]*value="(\d+)"', page)[1]


def _new_guide(staff: Container, member: str = "") -> None:
    """A faith-groups guide added today (new in next month's digest), by `member` if given."""
    today = dt.datetime.fromtimestamp(staff.clock(), dt.UTC).date()
    guide = Resource.model_validate(
        {
            "id": "new-congregation-guide",
            "title": "A new guide for congregations",
            "summary": "What a congregation can do this month: a summary long enough to pass.",
            "url": "https://www.antislavery.org/new-congregation-guide",
            "published": "2026",
            "type": "briefing",
            "publisher": "Anti-Slavery International",
            "audiences": ["faith-groups"],
            "topics": ["survivor-voice"],
            "added": today.isoformat(),
        },
        context={"vocabulary": staff.vocabulary},
    )
    if member:
        staff.catalogue_store.save(guide, review="member", member=member)
    else:
        staff.catalogue_store.save(guide)


def _prepare(browser) -> str:
    page = browser.get("/staff/digest").get_data(as_text=True)
    assert "Prepare the draft now" in page
    response = submit(browser, "/staff/digest/prepare", page)
    assert response.status_code == 303
    return re.sub(r"^https?://[^/]+", "", response.headers["Location"])


def test_preparing_now_makes_the_draft_tells_the_senders_and_the_digest_page_opens_it(
    sender, people
) -> None:
    _new_guide(people)
    draft = _prepare(sender)
    period = people.digests.next_period()
    assert draft == f"/staff/drafts/{digest_draft_id(period)}"
    page = sender.get(draft).get_data(as_text=True)
    assert f"The {period.label} digest" in page and "A new guide for congregations" in page
    assert "Approve this version" in page and "Faith groups: 2 people" in page
    assert sender.get("/staff/digest").headers["Location"].endswith(draft)
    [notice] = sent_mail()
    assert notice.to == SENDER and "ready for review" in notice.subject
    assert people.audit_log.recent()[0].action == "prepared a digest draft"


def test_a_bad_place_is_a_message_beside_it_and_nothing_is_stored(sender, people) -> None:
    _new_guide(people)
    draft = _prepare(sender)
    page = sender.get(draft).get_data(as_text=True)
    field = "place__faith_groups__new_congregation_guide"
    response = submit(
        sender,
        draft,
        page,
        version=_version(page),
        **{
            field: "0",
            "subject__faith_groups": "Fine\x0cbroken",
            "keep__faith_groups__new_congregation_guide": "y",
        },
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "A place is a number from 1 to 99." in html
    assert 'value="Fine' in html  # what was typed is kept
    stored = people.drafts.get(draft.rsplit("/", 1)[1])
    assert stored.version == 1 and stored.subjects == {}


def test_saving_takes_a_resource_out_and_the_preview_shows_it_as_saved(sender, people) -> None:
    _new_guide(people)
    draft = _prepare(sender)
    page = sender.get(draft).get_data(as_text=True)
    response = submit(sender, draft, page, version=_version(page))  # "keep" unticked
    assert response.status_code == 303
    stored = people.drafts.get(draft.rsplit("/", 1)[1])
    assert stored.removed["faith-groups"] == ("new-congregation-guide",)
    page = sender.get(draft).get_data(as_text=True)
    assert "Put back A new guide for congregations" in page
    frame = sender.get(f"{draft}/preview/faith-groups.html").get_data(as_text=True)
    assert "A new guide for congregations" not in frame


def test_a_member_outside_senders_edits_but_cannot_approve_or_discard_and_is_marked(
    staff_browser, people, staff_clock
) -> None:
    _new_guide(people, member=EDITOR)
    people.clients.cognito.admin_set_user_password(
        UserPoolId=people.settings.staff_user_pool_id,
        Username=EDITOR,
        Password=CHOSEN,
        Permanent=True,
    )
    assert sign_in(staff_browser, EDITOR, CHOSEN).status_code == 303
    draft = _prepare(staff_browser)
    page = staff_browser.get(draft).get_data(as_text=True)
    assert f"added by {EDITOR}, not yet reviewed" in page
    assert "Approve this version" not in page and "Only members of the senders group" in page
    for action in ("approve", "discard"):
        refused = submit(staff_browser, f"{draft}/{action}", page, version=_version(page))
        assert refused.status_code == 403
    assert people.drafts.get(draft.rsplit("/", 1)[1]).state is DraftState.DRAFT
    saved = submit(
        staff_browser,
        draft,
        page,
        version=_version(page),
        subject__schools="For your assembly",
        keep__faith_groups__new_congregation_guide="y",
    )
    assert saved.status_code == 303
    assert people.drafts.get(draft.rsplit("/", 1)[1]).subjects == {"schools": "For your assembly"}


def test_a_sender_approves_and_before_the_1st_there_is_no_send_button(sender, people) -> None:
    draft = _prepare(sender)
    page = sender.get(draft).get_data(as_text=True)
    response = submit(sender, f"{draft}/approve", page, version=_version(page))
    assert response.status_code == 303
    page = sender.get(draft).get_data(as_text=True)
    assert "exactly as approved" in page and "Send to" not in page
    early = submit(sender, f"{draft}/send", page, version=_version(page), confirmed="yes")
    assert early.status_code == 409 and "goes out on" in early.get_data(as_text=True)
    assert people.campaigns.list() == []


def test_cli_twins_prepare_show_approve_and_discard(people) -> None:
    runner = CliRunner()
    period = people.digests.next_period()
    made = runner.invoke(main, ["campaign", "draft", "--period", str(period)], obj=people)
    assert made.exit_code == 0, made.output
    draft_id = digest_draft_id(period)  # its key, which the commands take as they take its id
    shown = runner.invoke(main, ["campaign", "show", draft_id], obj=people)
    named = campaign_id(Kind.DIGEST, period)  # the id the CLI shows
    assert f"{period.label} digest: draft {named}, draft, version 1" in shown.output
    assert "Faith groups: 2 people; subject: (ours)" in shown.output  # Chidi and Fay
    stale = runner.invoke(main, ["campaign", "approve", draft_id, "--version", "7"], obj=people)
    assert stale.exit_code != 0 and "not 7: nothing done" in stale.output
    ok = runner.invoke(main, ["campaign", "approve", draft_id, "--version", "1"], obj=people)
    assert ok.exit_code == 0 and people.drafts.get(draft_id).state is DraftState.APPROVED
    listed = runner.invoke(main, ["campaign", "show"], obj=people)
    assert named in listed.output and "approved" in listed.output
    gone = runner.invoke(main, ["campaign", "discard", draft_id, "--version", "2"], obj=people)
    assert gone.exit_code == 0 and people.drafts.get(draft_id).state is DraftState.DISCARDED
    actions = [entry.action for entry in people.audit_log.recent()[:3]]
    assert actions == ["discarded a draft", "approved a draft", "created a draft"]


def test_progress_off_a_terminal_is_a_line_a_minute(capsys) -> None:
    clock = FakeClock(0.0)
    with Progress(300, "Sending", clock=clock) as progress:
        for _ in range(300):
            clock.advance(0.5)
            progress.advance()
    lines = capsys.readouterr().err.splitlines()
    # 150 s of sending: a line at 60 s and 120 s, and one at the end
    assert lines == [
        "Sending: 120 of 300, 2.0/s, about 2 min left",
        "Sending: 240 of 300, 2.0/s, under a minute left",
        "Sending: 300 of 300, 2.0/s, under a minute left",
    ]


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_of_nothing_says_0_of_0_even_on_a_terminal() -> None:
    """No bar that waits for one send that never comes: the true count, in one line."""
    terminal = _Terminal()
    with Progress(0, "Sending", file=terminal, clock=FakeClock(0.0)):
        pass
    assert terminal.getvalue() == "Sending: 0 of 0, nothing to send.\n"
