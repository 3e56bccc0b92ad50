"""SES bounces and complaints: suppress at once or after three soft bounces in 30 days, never
send to a suppressed address, and reject anything that is not a genuine SES event."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest

from mailer.campaigns.model import Period
from mailer.container import Container
from mailer.settings import Settings
from mailer.subscribers.bounces import MalformedEventError, parse_event
from tests.support.digest import RELEVANT, FakeClock, add_people, drain_queue, pipeline
from tests.support.environment import TEST_ENV
from tests.support.keys import subscriber_key
from tests.support.lambda_events import LambdaContext, load_event
from tests.support.mail import per_recipient, sent_mail

DANA = subscriber_key("dana@example.org")
CONTEXT = LambdaContext(
    function_name="SesEventsFunction",
    invoked_function_arn="arn:aws:lambda:eu-west-2:123456789012:function:SesEvents",
)


@pytest.fixture
def p(container: Container, clock: FakeClock) -> Container:
    built = pipeline(container, clock)
    add_people(built.subscriber_store)
    return built


@pytest.fixture
def handle(p: Container, use_container):
    """The SES events function's handler, using the test container."""
    from handlers import ses_events

    use_container(p)
    return lambda event: ses_events.lambda_handler(event, CONTEXT)


def transient(n: int, days_ago: float = 0) -> dict[str, Any]:
    """The n-th distinct transient bounce for Dana, days_ago before the fixture's time."""
    event = load_event("ses_bounce_transient")
    event["id"] = f"transient-{n}"
    bounce = event["detail"]["bounce"]
    bounce["feedbackId"] = f"feedback-transient-{n}"
    when = dt.datetime(2026, 12, 1, 9, 5, tzinfo=dt.UTC) - dt.timedelta(days=days_ago)
    bounce["timestamp"] = when.isoformat().replace("+00:00", "Z")
    return event


@pytest.mark.parametrize(
    ("fixture", "reason"),
    [("ses_bounce_permanent.json", "permanent bounce"), ("ses_complaint.json", "complaint")],
)
def test_a_complaint_or_a_permanent_bounce_suppresses_at_once(
    handle, p: Container, fixture: str, reason: str
) -> None:
    result = handle(load_event(fixture))
    assert result["outcome"] == "handled" and result["suppressed"] == 1
    assert result["failed_items"] == []
    assert p.subscriber_store.is_suppressed(DANA)
    stored = p.table(p.settings.subscribers_table).resource.get_item(
        Key={"pk": f"suppression#{DANA}"}
    )["Item"]
    assert stored["reason"] == reason


def test_three_transient_bounces_within_30_days_suppress_two_do_not(handle, p: Container) -> None:
    assert handle(transient(1, days_ago=20))["suppressed"] == 0
    assert handle(transient(2, days_ago=10))["suppressed"] == 0
    assert not p.subscriber_store.is_suppressed(DANA)
    result = handle(transient(3))
    assert result["suppressed"] == 1 and result["counted"] == 1
    assert p.subscriber_store.is_suppressed(DANA)


def test_transient_bounces_spread_over_more_than_30_days_do_not_suppress(
    handle, p: Container
) -> None:
    for n, days_ago in enumerate((70, 40, 0)):
        handle(transient(n, days_ago))
    assert not p.subscriber_store.is_suppressed(DANA)


def test_the_same_event_delivered_twice_counts_once(handle, p: Container) -> None:
    """EventBridge delivers at least once; a redelivered soft bounce must not count twice."""
    assert handle(transient(1))["outcome"] == "handled"
    assert handle(transient(1))["outcome"] == "duplicate"
    assert handle(transient(2))["outcome"] == "handled"
    assert not p.subscriber_store.is_suppressed(DANA), "two distinct bounces, not three"


def test_suppressed_addresses_are_never_sent_to(handle, p: Container) -> None:
    handle(load_event("ses_complaint"))
    p.planner.plan(p.planner.digest(Period(2026, 12)))
    drain_queue(p)
    expected = dict.fromkeys(RELEVANT, 1)
    del expected["dana@example.org"]
    assert per_recipient(sent_mail()) == expected
    assert p.campaigns.status("digest#2026-12").totals["suppressed"] == 1


def _forged(change: str) -> Any:
    event = load_event("ses_bounce_permanent")
    match change:
        case "source":
            event["source"] = "my.app"
        case "account":
            event["account"] = "999999999999"
        case "detail-type":
            event["detail-type"] = "Email Delivered"
            event["detail"]["eventType"] = "Delivery"
        case "mismatch":
            event["detail"]["eventType"] = "Complaint"
        case "no detail":
            del event["detail"]
        case "no recipients":
            event["detail"]["bounce"]["bouncedRecipients"] = []
        case "bounce type":
            event["detail"]["bounce"]["bounceType"] = "Soft"
        case "timestamp":
            event["detail"]["bounce"]["timestamp"] = "yesterday"
            event["time"] = "today"
        case "not an object":
            return ["Records"]
    return event


@pytest.mark.parametrize(
    "change",
    [
        "source",
        "account",
        "detail-type",
        "mismatch",
        "no detail",
        "no recipients",
        "bounce type",
        "timestamp",
        "not an object",
    ],
)
def test_forged_malformed_or_unexpected_events_are_rejected_logged_and_not_raised(
    handle, p: Container, change: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Fault: an event that is not a genuine SES bounce or complaint. Raising would make
    Lambda retry it twice and then dead-letter it; it is reported as a failed item instead."""
    result = handle(_forged(change))
    assert result["outcome"] == "rejected"
    assert len(result["failed_items"]) == 1 and result["failed_items"][0]["error"]
    assert not p.subscriber_store.is_suppressed(DANA)
    assert any(r.levelname == "ERROR" and "rejected" in r.getMessage() for r in caplog.records)


def test_events_for_another_configuration_set_are_rejected() -> None:
    event = load_event("ses_bounce_permanent")
    parse_event(event, configuration_set="awareness-mailer-sending")
    other = copy.deepcopy(event)
    other["detail"]["mail"]["tags"]["ses:configuration-set"] = ["someone-else"]
    with pytest.raises(MalformedEventError, match="another configuration set"):
        parse_event(other, configuration_set="awareness-mailer-sending")


def test_the_handler_checks_the_configuration_set_it_is_configured_with(
    container: Container, clock: FakeClock
) -> None:
    settings = Settings.from_env({**TEST_ENV, "SES_CONFIGURATION_SET": "someone-else"})
    p = pipeline(Container(settings, container.clients), clock)
    assert p.bounces.handle(load_event("ses_bounce_permanent")).outcome == "rejected"


def test_only_ses_can_reach_the_events_function(template) -> None:
    """The rule matches source aws.ses (which only SES can emit) and is the function's only
    invoker; the configuration set publishes bounces and complaints to the default bus."""
    rule = template.resources["SesEventsRule"]["Properties"]
    assert rule["EventPattern"]["source"] == ["aws.ses"]
    assert rule["EventBusName"] == "default"
    assert rule["Targets"][0]["Arn"] == {"Fn::GetAtt": ["SesEventsFunction", "Arn"]}
    permission = template.resources["SesEventsPermission"]["Properties"]
    assert permission["Principal"] == "events.amazonaws.com"
    assert permission["SourceArn"] == {"Fn::GetAtt": ["SesEventsRule", "Arn"]}
    destination = template.resources["SesEventsDestination"]["Properties"]["EventDestination"]
    assert set(destination["MatchingEventTypes"]) == {"BOUNCE", "COMPLAINT"}
    assert "event-bus/default" in destination["EventBridgeDestination"]["EventBusArn"]["Fn::Sub"]
