"""The planner: one campaign per period however often it starts, every confirmed subscriber queued
once by Query on the send index, and a stopped run resuming from its checkpoint."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from mailer.aws.table import Table
from mailer.campaigns.model import Campaign, Period
from mailer.campaigns.planner import PlanningIncompleteError
from mailer.container import Container
from mailer.errors import MailerError, StoreError
from mailer.subscribers.model import SEND_INDEX, Status
from mailer.subscribers.store import SubscriberStore
from tests.support.digest import RELEVANT, FakeClock, add, add_people, drain_queue, pipeline
from tests.support.lambda_events import LambdaContext, load_event
from tests.support.mail import per_recipient, sent_mail

DEC = Period(2026, 12)


@pytest.fixture
def p(container: Container, clock: FakeClock) -> Container:
    """The pipeline on moto with the usual five confirmed subscribers (plus two who are not)."""
    built = pipeline(container, clock)
    add_people(built.subscriber_store)
    add(built.subscriber_store, "pending@example.org", "schools", status=Status.PENDING)
    add(built.subscriber_store, "gone@example.org", "individuals", status=Status.UNSUBSCRIBED)
    return built


@pytest.fixture
def planner_handler(p: Container, use_container):
    """The planner function's handler, using the test container."""
    from handlers import digest_planner

    use_container(p)
    return digest_planner.lambda_handler


def queued(p: Container) -> int:
    attributes = p.clients.sqs.get_queue_attributes(
        QueueUrl=p.settings.send_queue_url, AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"])


def campaign_items(p: Container, campaign_id: str) -> list[dict[str, Any]]:
    """Every item of a campaign: its record and checkpoints, and its shards' entries."""
    campaign = p.campaigns.get(campaign_id)
    partitions = [campaign.pk, *campaign.ledger_partitions] if campaign else []
    return [
        item
        for pk in partitions
        for item in p.campaigns.table.resource.query(
            KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": pk}
        )["Items"]
    ]


def test_scheduler_starts_the_planner_twice_for_one_period_one_campaign(
    planner_handler, p: Container
) -> None:
    """Fault: EventBridge Scheduler (or Lambda's retry) starts the planner twice."""
    event = load_event("schedule_digest")
    first = planner_handler(event, LambdaContext(remaining_ms=900_000))
    second = planner_handler(event, LambdaContext(remaining_ms=900_000))
    assert first["campaign"] == second["campaign"] == "digest#2026-12"
    assert first["created"] and not second["created"] and second["already_planned"]
    assert sum(first["enqueued"].values()) == 5
    assert sum(second["enqueued"].values()) == 0
    assert queued(p) == 5, "the second start queued nobody again"
    metas = [i for i in campaign_items(p, "digest#2026-12") if i["sk"] == "meta"]
    assert len(metas) == 1
    assert p.campaigns.status("digest#2026-12").totals["planned"] == 5
    drain_queue(p)
    assert per_recipient(sent_mail()) == dict.fromkeys(RELEVANT, 1)


def test_a_planner_stopped_for_time_resumes_from_its_checkpoint(
    container: Container, clock: FakeClock, p: Container
) -> None:
    """Fault: the planner runs out of time part-way (Lambda would kill it at 900 s)."""
    p = pipeline(container, clock, page_size=1)
    budget = iter([900.0, 900.0, 10.0])  # two pages, then too little time for a third
    with pytest.raises(PlanningIncompleteError, match="run again to resume"):
        p.planner.plan(p.planner.digest(DEC), time_left=lambda: next(budget))
    assert queued(p) == 2
    status = p.campaigns.status("digest#2026-12")
    assert status.plan_state == "planning" and status.totals["planned"] == 2
    report = p.planner.plan(p.planner.digest(DEC))  # Lambda's retry of the async invocation
    assert not report.created and sum(report.enqueued.values()) == 3
    assert queued(p) == 5
    status = p.campaigns.status("digest#2026-12")
    assert status.plan_state == "planned" and status.totals["planned"] == 5


def test_a_page_queued_twice_is_counted_once_and_sent_once(
    container: Container, clock: FakeClock, p: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fault: the planner dies after queueing a page but before recording its checkpoint."""
    p = pipeline(container, clock, page_size=1)
    real_advance = p.campaigns.advance
    calls = {"n": 0}

    def dies_on_the_second_page(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 2:
            raise StoreError("recording planner progress failed: InternalServerError")
        return real_advance(*args, **kwargs)

    monkeypatch.setattr(p.campaigns, "advance", dies_on_the_second_page)
    with pytest.raises(StoreError):
        p.planner.plan(p.planner.digest(DEC))
    monkeypatch.setattr(p.campaigns, "advance", real_advance)
    p.planner.plan(p.planner.digest(DEC))
    assert queued(p) == 6, "the second page went on the queue twice"
    assert p.campaigns.status("digest#2026-12").totals["planned"] == 5
    results = drain_queue(p)
    assert [r.outcome for r in results if r].count("duplicate") == 1
    assert per_recipient(sent_mail()) == dict.fromkeys(RELEVANT, 1)
    assert p.campaigns.status("digest#2026-12").finished_at


class _NoScanTable:
    """The subscribers table, refusing Scans and recording Queries."""

    def __init__(self, real: Any) -> None:
        self._real = real
        self.queries: list[dict[str, Any]] = []

    def scan(self, **kwargs: Any) -> Any:
        raise AssertionError("the planner scanned the whole subscribers table")

    def query(self, **kwargs: Any) -> Any:
        self.queries.append(kwargs)
        return self._real.query(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def test_the_planner_queries_the_send_index_page_by_page_and_never_scans(
    container: Container, clock: FakeClock
) -> None:
    spy = _NoScanTable(container.table(container.settings.subscribers_table).resource)
    p = pipeline(container, clock, page_size=1)
    p.subscriber_store = SubscriberStore(Table(spy), clock)  # type: ignore[misc]
    add_people(p.subscriber_store)
    p.planner.plan(p.planner.digest(DEC))
    assert spy.queries and all(q["IndexName"] == SEND_INDEX for q in spy.queries)
    assert all(q["Limit"] == 1 for q in spy.queries)
    assert any("ExclusiveStartKey" in q for q in spy.queries)
    assert queued(p) == 5


@pytest.mark.parametrize(
    ("event", "campaign"),
    [
        ({"kind": "digest", "scheduled_time": "2026-12-01T09:00:00Z"}, "digest#2026-12"),
        ({"kind": "digest", "scheduled_time": "2027-01-01T09:00:00+00:00"}, "digest#2027-01"),
        ({"kind": "digest", "scheduled_time": "2026-06-01T08:00:00Z"}, "digest#2026-06"),  # BST
        ({"kind": "digest", "period": "2026-11"}, "digest#2026-11"),
        ({"kind": "announcement", "resource_id": "safe-homes"}, "announcement#safe-homes"),
    ],
)
def test_events_name_their_campaign(p: Container, event: dict[str, Any], campaign: str) -> None:
    assert p.planner.campaign_for(event).id == campaign


@pytest.mark.parametrize(
    "event",
    [
        "not an object",
        {},
        {"kind": "digest"},
        {"kind": "digest", "scheduled_time": "yesterday"},
        {"kind": "weekly"},
        {"kind": "digest", "period": "2026-13"},
        {"kind": "announcement", "resource_id": "no-such-resource"},
        {"kind": "announcement", "resource_id": "safe-homes", "audiences": ["schools"]},
        {"kind": "announcement", "resource_id": "safe-homes", "audiences": "individuals"},
    ],
)
def test_a_malformed_planner_event_is_logged_and_rejected_without_a_retry(
    planner_handler, p: Container, event: Any
) -> None:
    """Fault: an unexpected event; raising would make Lambda retry it, to no avail."""
    result = planner_handler(event, LambdaContext())
    assert result["status"] == "rejected" and result["error"]
    assert queued(p) == 0


def test_the_handler_builds_its_container_from_the_environment(
    container: Container,
    test_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    use_container,
) -> None:
    from handlers import digest_planner

    for name, value in test_env.items():
        monkeypatch.setenv(name, value)
    result = digest_planner.lambda_handler(
        {"kind": "digest", "period": "2026-12"}, LambdaContext(remaining_ms=900_000)
    )
    assert result["status"] == "planned" and result["created"]


def test_an_announcement_goes_through_the_same_planner_ledger_and_sender(p: Container) -> None:
    """Staff announce a resource: safe-homes is for individuals and faith groups."""
    add(p.subscriber_store, "fay@example.org", "faith-groups", (), "Fay")
    campaign = p.planner.announcement("safe-homes", message="Out today.")
    assert campaign.audiences == ("individuals", "faith-groups")
    report = p.planner.plan(campaign)
    assert report.campaign_id == "announcement#safe-homes" and report.created
    drain_queue(p)
    mails = sent_mail()
    # Eli (individuals, every topic) and Fay (faith groups, every topic) get it; Chidi and
    # Dana chose topics safe-homes is not about; schools are not its audience.
    assert sorted(m.to for m in mails) == ["eli@example.org", "fay@example.org"]
    assert all(m.subject.startswith("New: Safe homes") for m in mails)
    assert all("Out today." in m.text for m in mails)
    assert all(m.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click" for m in mails)
    status = p.campaigns.status(campaign.id)
    assert status.totals == {"planned": 4, "sent": 2, "skipped": 2, "suppressed": 0, "failed": 0}
    ledger = [i for i in campaign_items(p, campaign.id) if i["sk"].startswith("ledger#")]
    assert sorted(i["state"] for i in ledger) == ["sent", "sent", "skipped", "skipped"]
    again = p.planner.plan(p.planner.announcement("safe-homes"))
    assert again.already_planned and not again.created
    drain_queue(p)
    assert len(sent_mail()) == 2


def test_an_announcement_needs_a_real_resource_and_its_audiences(p: Container) -> None:
    with pytest.raises(MailerError, match="no resource"):
        p.planner.announcement("no-such-resource")
    with pytest.raises(MailerError, match="announce 'safe-homes' to some of"):
        p.planner.announcement("safe-homes", ["schools"])
    assert isinstance(p.planner.announcement("safe-homes", ["faith-groups"]), Campaign)


def test_a_subscriber_who_changes_group_mid_plan_gets_one_email_and_the_campaign_finishes(
    p: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Amal moves from schools to individuals after schools was queued, before individuals
    was: queued twice, sent once, and the second job is counted so the campaign can finish."""
    real_advance = p.campaigns.advance

    def move_amal_after_schools(campaign: Any, checkpoint: Any, *args: Any) -> Any:
        advanced = real_advance(campaign, checkpoint, *args)
        if checkpoint.audience == "schools" and advanced.done:
            add(p.subscriber_store, "amal@example.org", "individuals", name="Amal")
        return advanced

    monkeypatch.setattr(p.campaigns, "advance", move_amal_after_schools)
    p.planner.plan(p.planner.digest(DEC))
    status = p.campaigns.status("digest#2026-12")
    assert status.totals["planned"] == 6  # Amal twice
    drain_queue(p)
    assert per_recipient(sent_mail())["amal@example.org"] == 1
    status = p.campaigns.status("digest#2026-12")
    assert status.in_flight == 0
    assert status.finished_at, "the campaign never finished"
    drain_queue(p)  # nothing left; and a re-count would have shown in the totals
    assert p.campaigns.status("digest#2026-12").totals == status.totals


class _TogetherSqs:
    """SQS whose first three batch calls wait for each other: only parallel calls get past."""

    def __init__(self, real: Any) -> None:
        self._real = real
        self.together = threading.Barrier(3, timeout=30)
        self.calls = 0

    def send_message_batch(self, **kwargs: Any) -> Any:
        self.calls += 1
        if self.calls <= 3:
            self.together.wait()
        return self._real.send_message_batch(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def test_a_page_goes_to_sqs_in_parallel_batch_calls_of_ten(
    container: Container, clock: FakeClock
) -> None:
    p = pipeline(container, clock)
    sqs = _TogetherSqs(container.clients.sqs)
    p.clients.sqs = sqs  # type: ignore[misc] (a cached_property, replaced in this test)
    people = [(f"reader{i}@example.org", "individuals", (), "") for i in range(45)]
    add_people(p.subscriber_store, people)
    report = p.planner.plan(p.planner.digest(DEC))
    assert report.enqueued["individuals"] == 45 and not sqs.together.broken
    assert sqs.calls == 5  # one page of 45: five batch calls, three of them at once
    assert queued(p) == 45


def test_the_send_index_holds_keys_and_topics_not_addresses(p: Container) -> None:
    """The planner reads only what it needs: whole subscriber items stay off the index."""
    page = p.subscriber_store.confirmed_page("schools")
    assert {s.key for s in page.subscribers}
    assert all(s.email == "" and s.name == "" for s in page.subscribers)
    assert {s.topics for s in page.subscribers} == {(), ("housing",)}


def test_checkpoints_count_the_planned_and_leave_the_campaign_record_alone(p: Container) -> None:
    p.planner.plan(p.planner.digest(DEC))
    items = {i["sk"]: i for i in campaign_items(p, "digest#2026-12")}
    assert items["checkpoint#schools"]["planned"] == 2
    assert not any(name.startswith(("count#", "total#")) for name in items["meta"])
    assert p.campaigns.status("digest#2026-12").counts["schools"]["planned"] == 2
