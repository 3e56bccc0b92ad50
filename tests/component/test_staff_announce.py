"""Staff announce a resource: an exact preview per group, a test to themselves, one send per
resource (double clicks and retries send nothing twice), and only senders may send."""

from __future__ import annotations

import datetime as dt

import pytest

from mailer.campaigns.model import Period
from mailer.container import Container
from tests.support.digest import add, add_people, drain_queue
from tests.support.mail import per_recipient, sent_mail
from tests.support.staff import CHOSEN, EDITOR, SENDER, sign_in, signed_in_as_sender, submit

PAGE = "/staff/announce/safe-homes"  # for individuals and faith groups; housing among its topics


@pytest.fixture
def people(staff: Container) -> Container:
    """The usual five, plus Fay (faith groups, every topic)."""
    add_people(staff.subscriber_store)
    add(staff.subscriber_store, "fay@example.org", "faith-groups", (), "Fay")
    return staff


@pytest.fixture
def sender(staff_browser, people, staff_clock):
    """A member of the senders group, signed in."""
    signed_in_as_sender(staff_browser)
    staff_clock.advance(1)
    return staff_browser


def test_the_preview_shows_each_group_its_email_and_exact_count(sender) -> None:
    html = sender.get(PAGE).get_data(as_text=True)
    # Eli (individuals, every topic) and Fay; Dana and Chidi chose other topics; no schools.
    assert "individuals: 1 person" in html and "faith-groups: 1 person" in html
    assert "Subject:</strong> New: Safe homes" in html
    assert "Send to 2 people" in html
    frame = sender.get(f"{PAGE}/preview/individuals.html")
    assert frame.status_code == 200 and "Safe homes" in frame.get_data(as_text=True)
    assert "sandbox" in frame.headers["Content-Security-Policy"]
    assert sent_mail() == []  # looking sends nothing


def test_send_me_a_test_mails_the_member_what_each_group_gets(sender, people) -> None:
    page = sender.get(PAGE).get_data(as_text=True)
    response = submit(sender, f"{PAGE}/test", page, audiences=["individuals"], message="Hi")
    assert response.status_code == 303
    [test] = sent_mail()
    assert test.to == SENDER and test.subject.startswith("New: Safe homes")
    assert "Hi" in test.text and "/unsubscribe/PREVIEW" in test.text
    assert people.audit_log.recent()[0].action == "sent a test"
    assert people.campaigns.status("announcement#safe-homes") is None


def test_send_asks_once_more_then_sends_once_whatever_is_repeated(sender, people) -> None:
    page = sender.get(PAGE).get_data(as_text=True)
    ask = submit(sender, f"{PAGE}/send", page, audiences=["individuals", "faith-groups"])
    assert ask.status_code == 200 and "Send to 2 people?" in ask.get_data(as_text=True)
    assert people.campaigns.status("announcement#safe-homes") is None  # not yet
    confirm = ask.get_data(as_text=True)
    fields = {"audiences": ["individuals", "faith-groups"], "confirmed": "yes"}
    done = submit(sender, f"{PAGE}/send", confirm, **fields)
    assert done.status_code == 303 and "/staff/campaigns/announcement" in done.headers["Location"]
    again = submit(sender, f"{PAGE}/send", confirm, **fields)  # a double click, or a refresh
    assert again.status_code == 303
    drain_queue(people)
    assert per_recipient(sent_mail()) == {"eli@example.org": 1, "fay@example.org": 1}
    status_page = sender.get(done.headers["Location"]).get_data(as_text=True)
    assert "finished" in status_page
    listing = sender.get("/staff/campaigns/").get_data(as_text=True)
    assert "announcement#safe-homes" in listing and "finished" in listing
    assert [e.action for e in people.audit_log.recent()].count("sent an announcement") == 1
    later = sender.get(PAGE).get_data(as_text=True)
    assert "sending it again sends nothing" in later and "Send to 2 people" not in later


def test_a_member_outside_senders_cannot_send(staff_browser, people, staff_clock) -> None:
    from tests.support.staff import TEMPORARY  # noqa: F401 (the editor's first password)

    people.clients.cognito.admin_set_user_password(
        UserPoolId=people.settings.staff_user_pool_id,
        Username=EDITOR,
        Password=CHOSEN,
        Permanent=True,
    )
    assert sign_in(staff_browser, EDITOR, CHOSEN).status_code == 303
    page = staff_browser.get(PAGE).get_data(as_text=True)
    assert "Only members of the senders group" in page and "Send to 2" not in page
    fields = {"audiences": ["individuals"], "confirmed": "yes"}
    refused = submit(staff_browser, f"{PAGE}/send", page, **fields)
    assert refused.status_code == 403
    assert people.campaigns.status("announcement#safe-homes") is None
    assert sent_mail() == []


@pytest.mark.parametrize(
    ("path", "status", "message"),
    [
        ("/staff/announce/no-such-resource", 404, "no such resource"),
        (f"{PAGE}?audiences=schools", 400, "announce &#39;safe-homes&#39; to some of"),
    ],
)
def test_a_bad_announcement_explains_itself(sender, path: str, status: int, message: str) -> None:
    response = sender.get(path)
    assert response.status_code == status and message in response.get_data(as_text=True)


def test_an_announcement_nobody_wants_is_not_sent(staff_browser, staff, staff_clock) -> None:
    add(staff.subscriber_store, "dana@example.org", "individuals", ("domestic-workers",))
    signed_in_as_sender(staff_browser)
    page = staff_browser.get(PAGE).get_data(as_text=True)
    response = submit(staff_browser, f"{PAGE}/send", page, audiences=["individuals"])
    assert response.status_code == 400 and "no one to send it to" in response.get_data(as_text=True)
    assert staff.campaigns.status("announcement#safe-homes") is None


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


def test_posting_an_audience_the_resource_is_not_for_is_a_clear_400(sender, people) -> None:
    page = sender.get(PAGE).get_data(as_text=True)
    for action in ("test", "send"):
        response = submit(sender, f"{PAGE}/{action}", page, audiences=["schools"])
        assert response.status_code == 400
        assert "Send to: &#39;schools&#39; is not a valid choice" in response.get_data(as_text=True)
    assert sent_mail() == [] and people.campaigns.status("announcement#safe-homes") is None
