"""Staff announce a resource through a draft: saved as edited, previewed as saved, tested as
shown, approved (frozen) by a sender and sent exactly as approved, once per group."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from mailer.campaigns.drafts import DraftState
from mailer.campaigns.model import Period
from mailer.container import Container
from tests.support.digest import drain_queue
from tests.support.drafts import press, save, start_draft
from tests.support.mail import per_recipient, sent_mail
from tests.support.staff import CHOSEN, EDITOR, SENDER, sign_in, signed_in_as_sender, submit

RESOURCE = "safe-homes"  # for individuals and faith groups; housing among its topics
PAGE = f"/staff/announce/{RESOURCE}"  # the one start_draft() presses


def test_a_draft_shows_each_group_its_email_and_exact_count_as_saved(sender, people) -> None:
    draft = start_draft(sender)
    html = sender.get(draft).get_data(as_text=True)
    # Eli (individuals, every topic) and Fay; Dana and Chidi chose other topics; no schools.
    assert "Individuals: 1 person" in html and "Faith groups: 1 person" in html
    assert "Subject:</strong> New: Safe homes" in html
    assert "Approve this version" in html and "Send to 2" not in html  # approval comes first
    frame = sender.get(f"{draft}/preview/individuals.html")
    assert frame.status_code == 200 and "Safe homes" in frame.get_data(as_text=True)
    assert "sandbox" in frame.headers["Content-Security-Policy"]
    assert sent_mail() == []  # looking sends nothing
    assert people.audit_log.recent()[0].action == "created a draft"


def test_a_test_carries_the_saved_draft_not_what_was_typed_and_not_saved(sender, people) -> None:
    draft = start_draft(sender)
    assert save(sender, draft, audiences=["individuals"], message="Out today").status_code == 303
    # Typed into the form but never saved: the button posts only the version it was shown.
    page = sender.get(draft).get_data(as_text=True)
    version = re.search(r'name="version"[^>]*value="(\d+)"', page)[1]
    response = submit(
        sender, f"{draft}/test", page, version=version, audiences=["faith-groups"], message="X"
    )
    assert response.status_code == 303
    [test] = sent_mail()
    assert test.to == SENDER and test.subject.startswith("[Test] New: Safe homes")
    assert "A TEST FOR STAFF: no subscriber got this email." in test.text
    assert "A test for staff: no subscriber got this email." in test.html
    assert "Out today" in test.text and "/unsubscribe/PREVIEW" in test.text
    assert people.audit_log.recent()[0].action == "sent a test"
    assert people.campaigns.list() == []


def test_a_button_pressed_on_an_older_version_does_nothing_and_says_so(sender, people) -> None:
    draft = start_draft(sender)
    old_page = sender.get(draft).get_data(as_text=True)
    assert save(sender, draft, audiences=["individuals"], message="Newer").status_code == 303
    for action in ("test", "approve"):
        response = submit(sender, f"{draft}/{action}", old_page, version="1")
        assert response.status_code == 409
        assert "changed since your page was shown" in response.get_data(as_text=True)
    assert sent_mail() == []
    stored = people.drafts.get(draft.rsplit("/", 1)[1])
    assert stored.state is DraftState.DRAFT and stored.message == "Newer"


def test_approve_then_confirm_naming_everything_then_send_once(sender, people) -> None:
    draft = start_draft(sender)
    subjects = {"subject_faith_groups": "For your congregation: safe homes"}
    assert (
        save(
            sender,
            draft,
            audiences=["individuals", "faith-groups"],
            message="Please share",
            **subjects,
        ).status_code
        == 303
    )
    assert press(sender, draft, "approve").status_code == 303
    page = sender.get(draft).get_data(as_text=True)
    assert "approved" in page and "Send to 2 people" in page
    ask = press(sender, draft, "send")
    confirm = ask.get_data(as_text=True)
    assert ask.status_code == 200 and "Send to 2 people?" in confirm
    for words in ("Individuals", "Faith groups", "For your congregation: safe homes",
                  "New: Safe homes", "Please share"):  # fmt: skip
        assert words in confirm
    assert people.campaigns.list() == []  # not yet
    version = re.search(r'name="version"[^>]*value="(\d+)"', confirm)[1]
    done = submit(sender, f"{draft}/send", confirm, version=version, confirmed="yes")
    assert done.status_code == 303 and "/staff/campaigns/announcement" in done.headers["Location"]
    again = submit(sender, f"{draft}/send", confirm, version=version, confirmed="yes")
    assert again.status_code == 303  # a double click, or a refresh: nothing more
    drain_queue(people)
    mail = sent_mail()
    assert per_recipient(mail) == {"eli@example.org": 1, "fay@example.org": 1}
    by_to = {m.to: m for m in mail}
    assert by_to["fay@example.org"].subject == "For your congregation: safe homes"
    assert "Please share" in by_to["eli@example.org"].text
    status_page = sender.get(done.headers["Location"]).get_data(as_text=True)
    assert "finished" in status_page
    actions = [e.action for e in people.audit_log.recent()]
    assert actions.count("sent an announcement") == 1 and "approved a draft" in actions
    later = sender.get(PAGE).get_data(as_text=True)
    assert "Every group this resource is for has had it announced" in later


def test_a_catalogue_edit_after_approval_changes_neither_preview_nor_send(sender, people) -> None:
    draft = start_draft(sender)
    assert press(sender, draft, "approve").status_code == 303
    resource, _ = people.catalogue_store.get(RESOURCE, people.vocabulary)
    people.catalogue_store.save(resource.model_copy(update={"title": "Changed later"}))
    page = sender.get(draft).get_data(as_text=True)
    assert "Changed later" not in page and "New: Safe homes" in page
    ask = press(sender, draft, "send").get_data(as_text=True)
    version = re.search(r'name="version"[^>]*value="(\d+)"', ask)[1]
    submit(sender, f"{draft}/send", ask, version=version, confirmed="yes")
    drain_queue(people)
    assert sent_mail() and all("Changed later" not in m.html for m in sent_mail())


def test_saving_an_approved_draft_drops_the_approval(sender, people) -> None:
    draft = start_draft(sender)
    press(sender, draft, "approve")
    assert save(sender, draft, audiences=["individuals"], message="Edited").status_code == 303
    stored = people.drafts.get(draft.rsplit("/", 1)[1])
    assert stored.state is DraftState.DRAFT and stored.snapshot is None
    assert "Approve this version" in sender.get(draft).get_data(as_text=True)


def test_each_group_gets_a_resource_once_and_a_repeat_is_refused_with_a_link(
    sender, people
) -> None:
    first = start_draft(sender)
    save(sender, first, audiences=["faith-groups"])
    press(sender, first, "approve")
    ask = press(sender, first, "send").get_data(as_text=True)
    version = re.search(r'name="version"[^>]*value="(\d+)"', ask)[1]
    submit(sender, f"{first}/send", ask, version=version, confirmed="yes")
    # Next month, the rest: a new draft offers only individuals.
    second = start_draft(sender)
    assert "Individuals" in sender.get(second).get_data(as_text=True)
    stored = people.drafts.get(second.rsplit("/", 1)[1])
    assert stored.audiences == ("individuals",)
    # Ticking faith groups again is refused at approval, naming the earlier campaign.
    save(sender, second, audiences=["individuals", "faith-groups"])
    refused = press(sender, second, "approve")
    text = refused.get_data(as_text=True)
    assert refused.status_code == 409 and "already announced to faith-groups" in text
    assert "/staff/campaigns/announcement" in text
    save(sender, second, audiences=["individuals"])
    press(sender, second, "approve")
    ask = press(sender, second, "send").get_data(as_text=True)
    version = re.search(r'name="version"[^>]*value="(\d+)"', ask)[1]
    submit(sender, f"{second}/send", ask, version=version, confirmed="yes")
    drain_queue(people)
    assert per_recipient(sent_mail()) == {"fay@example.org": 1, "eli@example.org": 1}
    assert sender.get(PAGE).get_data(as_text=True).count("see that campaign") == 2


def test_a_member_outside_senders_edits_and_tests_but_cannot_approve_or_send(
    staff_browser, people, staff_clock
) -> None:
    people.clients.cognito.admin_set_user_password(
        UserPoolId=people.settings.staff_user_pool_id,
        Username=EDITOR,
        Password=CHOSEN,
        Permanent=True,
    )
    assert sign_in(staff_browser, EDITOR, CHOSEN).status_code == 303
    draft = start_draft(staff_browser)
    assert save(staff_browser, draft, audiences=["individuals"]).status_code == 303
    page = staff_browser.get(draft).get_data(as_text=True)
    assert "Only members of the senders group" in page and "Approve this version" not in page
    for action in ("approve", "send"):
        assert press(staff_browser, draft, action, confirmed="yes").status_code == 403
    assert people.campaigns.list() == []
    assert people.drafts.get(draft.rsplit("/", 1)[1]).state is DraftState.DRAFT


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"audiences": []}, "Choose at least one group."),
        ({"audiences": ["individuals"], "subject_individuals": "Two\nlines"}, "must be one line"),
        ({"audiences": ["individuals"], "message": "x" * 301}, "300 characters or fewer"),
        ({"audiences": ["schools"]}, "is not a valid choice"),
    ],
)
def test_bad_input_on_a_draft_is_a_message_beside_its_field_and_nothing_is_stored(
    sender, people, fields, message
) -> None:
    draft = start_draft(sender)
    response = save(sender, draft, **fields)
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and message in html and "Nothing was saved" in html
    typed = fields.get("message") or fields.get("subject_individuals")
    if typed:
        assert typed.split("\n")[0] in html  # what was typed is kept in the form
    assert people.drafts.get(draft.rsplit("/", 1)[1]).version == 1


def test_an_unknown_resource_or_draft_is_a_404(sender) -> None:
    assert sender.get("/staff/announce/no-such-resource").status_code == 404
    assert sender.get("/staff/drafts/0123456789").status_code == 404
    assert sender.get("/staff/drafts/../etc").status_code == 404


def test_the_next_digest_preview_is_what_the_schedule_will_send(
    sender, people, staff_clock
) -> None:
    today = dt.datetime.fromtimestamp(staff_clock(), dt.UTC).date()
    period = Period(today.year, today.month).next
    html = sender.get("/staff/digest").get_data(as_text=True)
    assert f"The {period.label} digest" in html
    for audience in ("schools", "faith-groups", "individuals"):
        assert f"/staff/digest/{audience}.html" in html
    frame = sender.get("/staff/digest/faith-groups.html").get_data(as_text=True)
    assert f"Your {period.label} digest" in frame
    assert sent_mail() == [] and people.campaigns.status(f"digest#{period}") is None


def test_a_cancelled_announcement_copied_to_a_new_draft_reaches_only_the_rest(
    sender, people, staff_clock
) -> None:
    from mailer.campaigns.engine import CONTROL_TTL
    from tests.support.digest import receive_event

    draft = start_draft(sender)
    assert press(sender, draft, "approve").status_code == 303
    confirm = press(sender, draft, "send").get_data(as_text=True)
    version = re.search(r'name="version"[^>]*value="(\d+)"', confirm)[1]
    done = submit(sender, f"{draft}/send", confirm, version=version, confirmed="yes")
    campaign_page = re.sub(r"^https?://[^/]+", "", done.headers["Location"])
    [cancelled] = [s.campaign.id for s in people.campaigns.list()]
    while not sent_mail():  # one at a time until one of Eli and Fay has it
        one = receive_event(people, limit=1)
        people.sender.process_batch(one)
        for record in one["Records"]:
            people.clients.sqs.delete_message(
                QueueUrl=people.settings.send_queue_url, ReceiptHandle=record["receiptHandle"]
            )
    [had_it] = [m.to for m in sent_mail()]
    assert people.planner.control(cancelled, "cancel")
    staff_clock.advance(CONTROL_TTL)
    drain_queue(people)
    assert len(sent_mail()) == 1  # the other was skipped
    page = sender.get(campaign_page).get_data(as_text=True)
    assert "Copy into a new draft" in page
    copied = submit(sender, f"{campaign_page}/copy", page)
    assert copied.status_code == 303
    copy = re.sub(r"^https?://[^/]+", "", copied.headers["Location"])
    assert "A copy of a" in sender.get(copy).get_data(as_text=True)
    assert press(sender, copy, "approve").status_code == 303  # the groups it took over: allowed
    confirm = press(sender, copy, "send").get_data(as_text=True)
    version = re.search(r'name="version"[^>]*value="(\d+)"', confirm)[1]
    assert (
        submit(sender, f"{copy}/send", confirm, version=version, confirmed="yes").status_code == 303
    )
    drain_queue(people)
    assert per_recipient(sent_mail()) == {"eli@example.org": 1, "fay@example.org": 1}
    assert had_it in {"eli@example.org", "fay@example.org"}
    skipped = people.campaigns.status(people.drafts.get(copy.rsplit("/", 1)[1]).campaign_id)
    assert skipped.totals["sent"] == 1 and skipped.finished_at
    actions = [e.action for e in people.audit_log.recent()]
    assert "copied a cancelled campaign into a draft" in actions


def test_a_test_may_go_to_another_member_or_a_test_address_and_nowhere_else(
    staff_browser, people, staff_clock
) -> None:
    from dataclasses import replace

    from web import create_app

    settings = replace(people.settings, test_addresses="seed@inbox.example.net")
    configured = Container(settings, people.clients, clock=staff_clock, sleep=staff_clock.sleep)
    configured.token_verifier = people.token_verifier
    browser = create_app(configured).test_client()
    signed_in_as_sender(browser)
    draft = start_draft(browser)
    page = browser.get(draft).get_data(as_text=True)
    for address in (SENDER, EDITOR, "seed@inbox.example.net"):
        assert f'<option value="{address}">' in page
    version = re.search(r'name="version"[^>]*value="(\d+)"', page)[1]
    for address in (EDITOR, "seed@inbox.example.net"):
        sent = submit(browser, f"{draft}/test", page, version=version, to=address)
        assert sent.status_code == 303
    refused = submit(browser, f"{draft}/test", page, version=version, to="someone@else.example")
    assert refused.status_code == 400 and "from the list" in refused.get_data(as_text=True)
    assert sorted({m.to for m in sent_mail()}) == [EDITOR, "seed@inbox.example.net"]
    assert all(m.subject.startswith("[Test] ") for m in sent_mail())
