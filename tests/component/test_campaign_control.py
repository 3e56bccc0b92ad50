"""Pause, resume and cancel a campaign while it sends: a pause reaches the senders within
seconds, nothing is lost, and nobody is mailed twice on resume."""

from __future__ import annotations

from collections import Counter

import pytest
from click.testing import CliRunner

from mailer.campaigns.engine import CONTROL_TTL
from mailer.campaigns.model import Period
from mailer.campaigns.pacing import TokenBucket
from mailer.cli.main import main
from mailer.container import Container
from tests.support.digest import (
    RELEVANT,
    FakeClock,
    add_people,
    drain_queue,
    pipeline,
    receive_event,
)
from tests.support.mail import per_recipient, sent_mail

DEC = "digest#2026-12"


@pytest.fixture
def p(container: Container, clock: FakeClock) -> Container:
    """December's digest planned for the usual five, nothing sent yet."""
    built = pipeline(container, clock)
    add_people(built.subscriber_store)
    built.planner.plan(built.planner.digest(Period(2026, 12)))
    return built


def _delete(p: Container, event: dict) -> None:
    """What the event source does with records that succeeded."""
    for record in event["Records"]:
        p.clients.sqs.delete_message(
            QueueUrl=p.settings.send_queue_url, ReceiptHandle=record["receiptHandle"]
        )


def test_a_pause_midway_then_resume_mails_everyone_exactly_once(p, clock) -> None:
    first = receive_event(p, limit=2)
    p.sender.process_batch(first)
    _delete(p, first)
    sent_before = len(sent_mail())
    assert p.planner.control(DEC, "pause")
    clock.advance(CONTROL_TTL)  # the senders' cached view of the campaign expires
    rest = receive_event(p)
    outcomes = [r for _, r in p.sender.process_batch(rest).results]
    _delete(p, rest)
    assert {r.outcome for r in outcomes} == {"parked"} and len(outcomes) == 3
    assert len(sent_mail()) == sent_before  # nothing sent while paused
    status = p.campaigns.status(DEC)
    assert status.control == "paused" and not status.finished_at
    assert p.planner.control(DEC, "resume")
    drain_queue(p)
    assert per_recipient(sent_mail()) == dict.fromkeys(RELEVANT, 1)
    finished = p.campaigns.status(DEC)
    assert finished.finished_at and finished.control == "" and finished.in_flight == 0


def test_cancel_records_everyone_not_yet_mailed_as_skipped(p, clock) -> None:
    first = receive_event(p, limit=1)
    p.sender.process_batch(first)
    _delete(p, first)
    assert p.planner.control(DEC, "pause")
    clock.advance(CONTROL_TTL)
    parked = receive_event(p, limit=2)
    p.sender.process_batch(parked)
    _delete(p, parked)
    assert p.planner.control(DEC, "cancel")
    clock.advance(CONTROL_TTL)
    drain_queue(p)
    assert len(sent_mail()) == 1  # only the first, sent before the pause
    status = p.campaigns.status(DEC)
    assert status.finished_at and status.control == "cancelled"
    assert status.totals["sent"] == 1 and status.totals["skipped"] == 4
    assert not p.planner.control(DEC, "resume")  # a cancelled campaign stays cancelled


@pytest.mark.parametrize(
    ("action", "outcomes"),
    [
        ("pause", {"sent": 1, "parked": 3, "skipped": 1}),  # the one with nothing relevant
        ("cancel", {"sent": 1, "skipped": 4}),
    ],
)
def test_a_pause_or_cancel_stops_an_email_still_waiting_for_its_turn(p, clock, action, outcomes):
    """At a low rate a batch's emails wait seconds for their turns: staff press pause (or
    cancel) during the first wait, and that email is not sent, although its campaign was
    sending when it started."""
    stopped: list[str] = []

    def wait_for_turn(seconds: float) -> None:
        if not stopped:
            stopped.append(action)
            assert p.planner.control(DEC, action)
        clock.sleep(max(seconds, CONTROL_TTL))  # the senders' cached view has expired by now

    p.sender.messenger.bucket = TokenBucket(1.0, 1.0, clock, wait_for_turn)  # one a second
    event = receive_event(p)
    results = p.sender.process_batch(event).results
    _delete(p, event)
    assert stopped == [action] and len(sent_mail()) == 1  # the first had its turn at once
    assert Counter(r.outcome for _, r in results) == outcomes
    if action == "pause":
        assert p.planner.control(DEC, "resume")
        drain_queue(p)
        assert per_recipient(sent_mail()) == dict.fromkeys(RELEVANT, 1)
    status = p.campaigns.status(DEC)
    assert status.finished_at and status.in_flight == 0
    assert status.totals["sent"] == (len(RELEVANT) if action == "pause" else 1)


def test_a_resume_racing_a_sender_that_still_thinks_it_is_paused_loses_nothing(p, clock):
    """The sender read "paused" a moment ago; the resume clears it and collects what was
    parked; the sender's park then fails its check against the campaign, so it sends."""
    assert p.planner.control(DEC, "pause")
    clock.advance(CONTROL_TTL)
    one = receive_event(p, limit=1)
    p.sender.process_batch(one)  # parked, and the sender now caches "paused"
    _delete(p, one)
    assert p.planner.control(DEC, "resume")
    drain_queue(p)  # within CONTROL_TTL: the cache still says paused
    assert per_recipient(sent_mail()) == dict.fromkeys(RELEVANT, 1)
    assert p.campaigns.status(DEC).finished_at


def test_what_cannot_be_done_says_so(p) -> None:
    assert not p.planner.control(DEC, "resume")  # not paused
    drain_queue(p)
    assert not p.planner.control(DEC, "pause")  # finished
    with pytest.raises(Exception, match="no campaign"):
        p.planner.control("digest#2020-01", "pause")


def test_the_cli_twins(p, clock) -> None:
    runner = CliRunner()
    paused = runner.invoke(main, ["campaign", "pause", DEC], obj=p)
    assert paused.exit_code == 0 and "pause done" in paused.output
    status = runner.invoke(main, ["campaign", "status", DEC], obj=p)
    assert "staff     paused" in status.output
    again = runner.invoke(main, ["campaign", "pause", DEC], obj=p)
    assert again.exit_code == 1 and "cannot be paused now" in again.output
    assert runner.invoke(main, ["campaign", "resume", DEC], obj=p).exit_code == 0
    assert runner.invoke(main, ["campaign", "cancel", DEC], obj=p).exit_code == 0


def test_staff_pause_and_resume_from_the_campaign_page(staff, staff_browser) -> None:
    from tests.support.staff import CHOSEN, EDITOR, sign_in, signed_in_as_sender, submit

    add_people(staff.subscriber_store)
    staff.planner.plan(staff.planner.digest(Period(2026, 12)))
    page_url = "/staff/campaigns/digest%232026-12"
    people = staff.clients.cognito
    people.admin_set_user_password(
        UserPoolId=staff.settings.staff_user_pool_id,
        Username=EDITOR,
        Password=CHOSEN,
        Permanent=True,
    )
    assert sign_in(staff_browser, EDITOR, CHOSEN).status_code == 303
    page = staff_browser.get(page_url).get_data(as_text=True)
    assert ">Pause<" not in page  # not a sender: no buttons
    refused = submit(staff_browser, f"{page_url}/pause", page)
    assert refused.status_code == 403 and staff.campaigns.control(DEC) == ""
    staff_browser.delete_cookie("staff_session", path="/staff")
    signed_in_as_sender(staff_browser)
    page = staff_browser.get(page_url).get_data(as_text=True)
    assert ">Pause<" in page and ">Cancel<" in page
    paused = submit(staff_browser, f"{page_url}/pause", page)
    assert paused.status_code == 303 and staff.campaigns.control(DEC) == "paused"
    page = staff_browser.get(page_url).get_data(as_text=True)
    assert "This campaign is <strong>paused</strong>" in page and ">Resume<" in page
    submit(staff_browser, f"{page_url}/resume", page)
    assert staff.campaigns.control(DEC) == ""
    assert [e.action for e in staff.audit_log.recent()][:2] == [
        "resumed a campaign",
        "paused a campaign",
    ]


def _park_everyone(p: Container, clock: FakeClock) -> None:
    """Pause December's digest before anything is sent: every job is parked."""
    assert p.planner.control(DEC, "pause")
    clock.advance(CONTROL_TTL)
    drain_queue(p)
    assert sent_mail() == [] and len(p.campaigns.parked_page(p.campaigns.get(DEC))) == 5


def test_a_requeue_cut_off_resumes_where_it_stopped_and_mails_everyone_once(p, clock) -> None:
    """The planner function requeues page by page; out of time it stops, and Lambda's retry
    (the same event again) carries on with what is still parked."""
    from mailer.campaigns.planner import PlanningIncompleteError

    small_pages = pipeline(p, clock, page_size=2)
    _park_everyone(small_pages, clock)
    assert small_pages.planner.control(DEC, "resume", requeue=False)
    budget = iter([60.0, 60.0, 0.0])  # time for two pages, then the invocation runs out
    event = {"kind": "requeue", "campaign_id": DEC}
    with pytest.raises(PlanningIncompleteError, match="requeued 4 parked job"):
        small_pages.planner.handle(event, time_left=lambda: next(budget))
    assert len(small_pages.campaigns.parked_page(small_pages.campaigns.get(DEC))) == 1
    assert small_pages.planner.handle(event) == {"status": "requeued", "campaign": DEC, "jobs": 1}
    drain_queue(small_pages)
    assert per_recipient(sent_mail()) == dict.fromkeys(RELEVANT, 1)
    assert small_pages.campaigns.status(DEC).state == "finished"


def test_resume_pressed_again_while_jobs_are_still_parked_requeues_the_rest(p, clock) -> None:
    _park_everyone(p, clock)
    assert p.planner.control(DEC, "resume", requeue=False)  # the hand-off was lost
    assert p.planner.control(DEC, "resume")  # so the second press is allowed, and requeues
    drain_queue(p)
    assert per_recipient(sent_mail()) == dict.fromkeys(RELEVANT, 1)
    assert not p.planner.control(DEC, "resume")  # nothing left to do now


def test_the_console_hands_resume_to_the_planner_function(staff, staff_browser) -> None:
    """On AWS the web request only changes the control and invokes the planner; it never
    touches the send queue (its role may not)."""
    import json

    from mailer.campaigns.starter import LambdaStarter
    from tests.support.staff import signed_in_as_sender, submit

    add_people(staff.subscriber_store)
    staff.planner.plan(staff.planner.digest(Period(2026, 12)))
    invoked: list[dict] = []

    class Lambda:
        def invoke(self, **request):
            invoked.append(json.loads(request["Payload"]))

    staff.campaign_starter = LambdaStarter(staff.campaigns, Lambda(), "planner")
    assert staff.planner.control(DEC, "pause")
    signed_in_as_sender(staff_browser)
    page_url = "/staff/campaigns/digest%232026-12"
    page = staff_browser.get(page_url).get_data(as_text=True)
    assert submit(staff_browser, f"{page_url}/resume", page).status_code == 303
    assert invoked == [{"kind": "requeue", "campaign_id": DEC}]


def test_cancel_asks_first_with_the_counts_and_a_send_under_way_still_goes_and_is_counted(
    staff, staff_browser, staff_clock
) -> None:
    """The page says who has had it and who will not; the email a sender was sending when the
    cancel came still goes out, and the campaign's counts show it sent."""
    from tests.support.staff import signed_in_as_sender, submit

    add_people(staff.subscriber_store)
    staff.planner.plan(staff.planner.digest(Period(2026, 12)))
    first = receive_event(staff, limit=1)
    staff.sender.process_batch(first)  # one sent
    _delete(staff, first)
    second = receive_event(staff, limit=1)
    job = second["Records"][0]
    from mailer.campaigns.queue import SendJob

    under_way = SendJob.from_body(job["body"])
    campaign = staff.campaigns.get(DEC)
    claim = staff.ledger.claim(campaign, under_way.subscriber_key, under_way.audience)
    signed_in_as_sender(staff_browser)
    page_url = "/staff/campaigns/digest%232026-12"
    page = staff_browser.get(page_url).get_data(as_text=True)
    ask = submit(staff_browser, f"{page_url}/cancel", page)
    text = " ".join(ask.get_data(as_text=True).split())
    assert ask.status_code == 200 and "Cancel this campaign?" in text
    assert "1 person has had it. 4 people planned so far will not get it, apart from any" in text
    assert staff.campaigns.control(DEC) == ""  # nothing done yet
    done = submit(staff_browser, f"{page_url}/cancel", ask.get_data(as_text=True), confirmed="yes")
    assert done.status_code == 303 and staff.campaigns.control(DEC) == "cancelled"
    staff.ledger.record_sent(claim, "ses-under-way")  # SES took it as the cancel came
    assert staff.campaigns.status(DEC).totals["sent"] == 2
    listing = staff_browser.get("/staff/campaigns/").get_data(as_text=True)
    assert "<td>cancelled</td>" in listing
    result = CliRunner().invoke(main, ["campaign", "list"], obj=staff)
    assert "cancelled" in result.output and "finished" not in result.output
