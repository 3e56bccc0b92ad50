"""Scheduled campaigns (issue 17, item 4): a sender schedules an approved announcement or digest;
EventBridge Scheduler (moto) holds one one-time schedule per draft, set by the planner; the
schedule's event starts the campaign once however often it arrives, and an unscheduled or
rescheduled draft's old event starts nothing."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from botocore.stub import Stubber

from mailer.campaigns.digests import digest_draft_id
from mailer.campaigns.drafts import Draft, DraftState
from mailer.campaigns.model import Kind, Period, campaign_id
from mailer.campaigns.send_time import SendTimeError
from mailer.container import LOCAL_PLANNER_ARN, Container
from mailer.local.schedules import LocalScheduler
from tests.support.digest import FakeClock, add, add_people, drain_queue, pipeline
from tests.support.lambda_events import LambdaContext
from tests.support.mail import per_recipient, sent_mail

SENDER = "sender@example.org"
RESOURCE = "safe-homes"  # for individuals and faith groups
NOW = dt.datetime(2026, 12, 2, 10, 0, tzinfo=dt.UTC)
HOUR = 3600.0
PLANNER_ARN = "arn:aws:lambda:eu-west-2:123456789012:function:stack-DigestPlanner-abc"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW.timestamp())


@pytest.fixture
def desk(container: Container, clock: FakeClock) -> Container:
    """The container on 2 December 2026 at 10:00, with the usual subscribers and Fay."""
    p = pipeline(container, clock)
    add_people(p.subscriber_store)
    add(p.subscriber_store, "fay@example.org", "faith-groups", (), "Fay")
    return p


def approved_announcement(desk: Container) -> Draft:
    """A sender's approved draft announcing safe-homes to its groups."""
    resource, _ = desk.catalogue_store.get(RESOURCE, desk.vocabulary)
    draft = desk.approvals.start(resource, SENDER)
    return desk.approvals.approve(draft, SENDER)


def held_schedules(desk: Container) -> dict[str, dict]:
    """The scheduler's campaign schedules as moto holds them: name -> the schedule."""
    scheduler = desk.clients.scheduler
    group = desk.settings.campaign_schedule_group
    names = [s["Name"] for s in scheduler.list_schedules(GroupName=group)["Schedules"]]
    return {n: scheduler.get_schedule(Name=n, GroupName=group) for n in names}


def deliver(desk: Container, use_container, event: dict) -> dict:
    """The schedule's event, as the scheduler delivers it to the planner function."""
    from handlers import digest_planner

    use_container(desk)
    context = LambdaContext("DigestPlannerFunction", invoked_function_arn=PLANNER_ARN)
    context.remaining_ms = 900_000
    return digest_planner.lambda_handler(event, context)


def test_a_schedule_is_set_for_the_chosen_time_and_sends_once_when_it_arrives_twice(
    desk, clock, use_container
) -> None:
    draft = approved_announcement(desk)
    at = NOW + dt.timedelta(hours=2)
    scheduled = desk.schedules.schedule(draft, at, SENDER)
    assert scheduled.state is DraftState.SCHEDULED
    assert scheduled.scheduled_for == "2026-12-02T12:00:00+00:00"

    [(name, held)] = held_schedules(desk).items()
    assert name == f"campaign-{draft.id}"
    assert held["ScheduleExpression"] == "at(2026-12-02T12:00:00)"
    assert held["ScheduleExpressionTimezone"] == "UTC"
    assert held["ActionAfterCompletion"] == "DELETE"
    event = json.loads(held["Target"]["Input"])
    assert event == {"kind": "scheduled-send", "draft_id": draft.id, "version": 3}
    assert desk.drafts.get(draft.id).schedule_set == scheduled.version  # the page says "set"
    assert sent_mail() == []

    clock.advance(2 * HOUR)
    first = deliver(desk, use_container, event)
    second = deliver(desk, use_container, event)  # the scheduler delivers at least once
    drain_queue(desk)

    assert first["status"] == "sent" and second["status"] == "already sent"
    assert first["campaign_id"] == second["campaign_id"]
    announcements = [m for m in sent_mail() if m.subject.startswith("New:")]
    assert per_recipient(announcements) == {"eli@example.org": 1, "fay@example.org": 1}
    sent = desk.drafts.get(draft.id)
    assert sent.state is DraftState.SENT and sent.campaign_id == first["campaign_id"]
    assert sent.scheduled_for == "2026-12-02T12:00:00+00:00"  # kept: when it was meant to go
    status = desk.campaigns.status(first["campaign_id"])
    assert status.state == "finished", status.totals  # planned once: 4 people, 2 wanting it
    assert status.totals["planned"] == 4 and status.totals["sent"] == 2


def test_an_unscheduled_draft_never_starts_even_if_its_old_event_arrives(
    desk, clock, use_container
) -> None:
    draft = approved_announcement(desk)
    scheduled = desk.schedules.schedule(draft, NOW + dt.timedelta(hours=1), SENDER)
    event = json.loads(held_schedules(desk)[f"campaign-{draft.id}"]["Target"]["Input"])
    unscheduled = desk.schedules.unschedule(scheduled, SENDER)

    assert held_schedules(desk) == {}  # the planner deleted it
    assert unscheduled.state is DraftState.APPROVED and not unscheduled.scheduled_for
    clock.advance(2 * HOUR)
    assert deliver(desk, use_container, event)["status"] == "ignored"  # a late delivery
    drain_queue(desk)
    assert sent_mail() == []
    assert desk.drafts.get(draft.id).state is DraftState.APPROVED
    assert desk.approvals.announced_to(RESOURCE) == {}  # nothing started


def test_a_rescheduled_draft_goes_at_its_new_time_and_its_old_event_starts_nothing(
    desk, clock, use_container
) -> None:
    draft = approved_announcement(desk)
    first = desk.schedules.schedule(draft, NOW + dt.timedelta(hours=1), SENDER)
    old_event = json.loads(held_schedules(desk)[f"campaign-{draft.id}"]["Target"]["Input"])
    moved = desk.schedules.schedule(first, NOW + dt.timedelta(days=1), SENDER)

    [held] = held_schedules(desk).values()  # one schedule per draft, replaced
    assert held["ScheduleExpression"] == "at(2026-12-03T10:00:00)"
    new_event = json.loads(held["Target"]["Input"])
    assert new_event["version"] == moved.version == old_event["version"] + 1

    clock.advance(HOUR)
    assert deliver(desk, use_container, old_event)["status"] == "ignored"
    assert desk.drafts.get(draft.id).state is DraftState.SCHEDULED
    clock.advance(23 * HOUR)
    assert deliver(desk, use_container, new_event)["status"] == "sent"
    drain_queue(desk)
    assert len([m for m in sent_mail() if m.subject.startswith("New:")]) == 2


def test_a_sync_that_arrives_after_the_time_sends_at_once_instead_of_never(desk, clock) -> None:
    draft = approved_announcement(desk)
    desk.schedules.schedule(draft, NOW + dt.timedelta(minutes=5), SENDER)
    clock.advance(HOUR)  # the planner's invocation was retried for an hour
    assert desk.schedules.sync(draft.id)["status"] == "sent"
    drain_queue(desk)
    assert len([m for m in sent_mail() if m.subject.startswith("New:")]) == 2


def test_times_that_cannot_be_scheduled_say_why_and_change_nothing(desk) -> None:
    draft = approved_announcement(desk)
    for at, words in [
        (NOW - dt.timedelta(hours=1), "at least a minute from now"),
        (NOW + dt.timedelta(days=400), "within the next year"),
    ]:
        with pytest.raises(SendTimeError, match=words):
            desk.schedules.schedule(draft, at, SENDER)
    unapproved = desk.approvals.start(
        desk.catalogue_store.get("agents-for-change-2020", desk.vocabulary)[0], SENDER
    )
    with pytest.raises(Exception, match="must approve this draft"):
        desk.schedules.schedule(unapproved, NOW + dt.timedelta(hours=1), SENDER)
    assert desk.drafts.get(draft.id).state is DraftState.APPROVED
    assert held_schedules(desk) == {}


def test_a_scheduled_digest_waits_past_the_1st_and_goes_at_its_time_as_approved(
    desk, clock, use_container
) -> None:
    january = Period(2027, 1)
    clock.now = dt.datetime(2026, 12, 28, 9, tzinfo=dt.UTC).timestamp()
    draft, _ = desk.digests.prepare(january)
    approved = desk.digests.approve(draft, SENDER)
    with pytest.raises(SendTimeError, match="choose a time before January 2027 ends"):
        desk.schedules.schedule(approved, dt.datetime(2027, 2, 1, 9, tzinfo=dt.UTC), SENDER)
    at = dt.datetime(2027, 1, 4, 8, 30, tzinfo=dt.UTC)  # a Monday morning, after the holiday
    desk.schedules.schedule(approved, at, SENDER)
    event = json.loads(held_schedules(desk)[f"campaign-{draft.id}"]["Target"]["Input"])

    clock.now = dt.datetime(2027, 1, 1, 9, tzinfo=dt.UTC).timestamp()  # the monthly schedule
    assert desk.digests.start(january).status == "scheduled"
    drain_queue(desk)
    assert sent_mail() == [] and desk.campaigns.get(campaign_id(Kind.DIGEST, january)) is None

    clock.now = at.timestamp()
    assert deliver(desk, use_container, event)["status"] == "sent"
    assert deliver(desk, use_container, event)["status"] == "already sent"
    drain_queue(desk)
    digests = [m for m in sent_mail() if "January 2027" in m.subject]
    assert digests and max(per_recipient(digests).values()) == 1
    assert desk.drafts.get(digest_draft_id(january)).state is DraftState.SENT


def test_on_aws_the_console_hands_the_schedule_to_the_planner_function(container, clock) -> None:
    """The web role may not touch the scheduler: it invokes the planner, asynchronously."""
    import dataclasses

    settings = dataclasses.replace(container.settings, planner_function="stack-DigestPlanner")
    web = pipeline(Container(settings, container.clients), clock)
    draft = approved_announcement(web)
    with Stubber(web.clients.lambda_) as stub:
        stub.add_response(
            "invoke",
            {"StatusCode": 202},
            {
                "FunctionName": "stack-DigestPlanner",
                "InvocationType": "Event",
                "Payload": json.dumps({"kind": "schedule-sync", "draft_id": draft.id}).encode(),
            },
        )
        web.schedules.schedule(draft, NOW + dt.timedelta(hours=1), SENDER)
        stub.assert_no_pending_responses()
    assert held_schedules(web) == {}  # set by the planner, not here
    assert web.drafts.get(draft.id).schedule_set == 0  # so the page says it is being set


def test_the_local_stack_delivers_a_due_schedule_once_and_deletes_it(desk, clock) -> None:
    draft = approved_announcement(desk)
    desk.schedules.schedule(draft, NOW + dt.timedelta(minutes=2), SENDER)
    [held] = held_schedules(desk).values()
    assert held["Target"]["Arn"] == LOCAL_PLANNER_ARN
    delivered: list[dict] = []
    local = LocalScheduler(desk.schedule_book, lambda e: delivered.append(dict(e)), clock)

    assert local.deliver_due() == 0  # not yet
    clock.advance(121)
    assert local.deliver_due() == 1
    assert local.deliver_due() == 0  # delivered, then deleted as the scheduler does
    assert delivered == [{"kind": "scheduled-send", "draft_id": draft.id, "version": 3}]
    assert held_schedules(desk) == {}


def test_a_group_announced_to_meanwhile_is_refused_at_the_time_not_mailed_twice(
    desk, clock, use_container
) -> None:
    draft = approved_announcement(desk)
    desk.schedules.schedule(draft, NOW + dt.timedelta(hours=1), SENDER)
    event = json.loads(held_schedules(desk)[f"campaign-{draft.id}"]["Target"]["Input"])
    other = approved_announcement(desk)  # a second draft of the same resource, sent at once
    desk.approvals.send(other, SENDER)
    drain_queue(desk)
    clock.advance(HOUR)

    refused = deliver(desk, use_container, event)  # answered, so the scheduler stops retrying
    drain_queue(desk)
    assert refused["status"] == "refused" and "already announced" in refused["error"]
    assert per_recipient([m for m in sent_mail() if m.subject.startswith("New:")]) == {
        "eli@example.org": 1,
        "fay@example.org": 1,
    }


def test_the_cli_schedules_shows_and_unschedules_as_the_console_does(desk) -> None:
    from click.testing import CliRunner

    from mailer.cli.main import main

    draft = approved_announcement(desk)
    runner = CliRunner()
    late = runner.invoke(
        main,
        ["campaign", "schedule", draft.id, "--version", "2", "--at", "2026-12-01 09:00"],
        obj=desk,
    )
    assert late.exit_code == 1 and "at least a minute from now" in late.output
    done = runner.invoke(
        main,
        ["campaign", "schedule", draft.id, "--version", "2", "--at", "2026-12-08 09:00"],
        obj=desk,
    )
    assert done.exit_code == 0, done.output
    assert "scheduled for Tuesday 8 December 2026 at 09:00 (GMT), version 3." in done.output
    shown = runner.invoke(main, ["campaign", "show", draft.id], obj=desk)
    assert "scheduled, version 3" in shown.output
    assert "Scheduled for Tuesday 8 December 2026 at 09:00 (GMT)" in shown.output
    assert [s["ScheduleExpression"] for s in held_schedules(desk).values()] == [
        "at(2026-12-08T09:00:00)"
    ]
    stale = runner.invoke(main, ["campaign", "unschedule", draft.id, "--version", "2"], obj=desk)
    assert stale.exit_code == 1 and "not 2: nothing done" in stale.output
    off = runner.invoke(main, ["campaign", "unschedule", draft.id, "--version", "3"], obj=desk)
    assert off.exit_code == 0 and "unscheduled (still approved), version 4." in off.output
    assert held_schedules(desk) == {}
    actions = [e.action for e in desk.audit_log.recent()[:2]]
    assert actions == ["unscheduled a draft", "scheduled a draft"]
