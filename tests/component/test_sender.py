"""The sender, through its Lambda handler: one email per relevant subscriber, whatever SQS and SES
do, and the faults the issue names, each injected here."""

from __future__ import annotations

import copy
import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from botocore.stub import Stubber

from mailer.aws.retry import Backoff
from mailer.campaigns.engine import CLAIM_LEASE, MAX_RECEIVES, SENDER_TIMEOUT, VISIBILITY_TIMEOUT
from mailer.campaigns.ledger import InFlightError
from mailer.campaigns.model import Period, SendOutcome
from mailer.campaigns.pacing import QUOTA_SHARE, TokenBucket
from mailer.campaigns.preview import PreviewLinks, preview, reader
from mailer.campaigns.queue import drain
from mailer.campaigns.variants import NOTHING_NEW_INTRO
from mailer.campaigns.workers import ThreadPool
from mailer.container import Container
from mailer.errors import OutOfTimeError, SettingsError, ThrottlingError
from mailer.settings import Settings
from mailer.subscribers.model import Status
from mailer.subscribers.tokens import Purpose
from tests.support.conflicts import conflicts_on
from tests.support.digest import (
    EXPECTED,
    PEOPLE,
    RELEVANT,
    FakeClock,
    SimulatedCrash,
    add,
    add_people,
    drain_queue,
    pipeline,
    planned_digest,
    receive_event,
    spy_on_ses,
    throttle_error,
)
from tests.support.environment import TEST_ENV
from tests.support.keys import subscriber_key
from tests.support.lambda_events import LambdaContext, load_event
from tests.support.mail import per_recipient, sent_mail, shows

DEC = Period(2026, 12)
ORDER = [subscriber_key(address) for address, *_ in PEOPLE]


@pytest.fixture
def p(container: Container, clock: FakeClock) -> Container:
    """December's digest planned for the usual five subscribers, nothing sent yet."""
    return planned_digest(container, clock)


@pytest.fixture
def handler(p: Container, use_container) -> Callable[..., dict[str, Any]]:
    """The sender function's handler, using the test container."""
    from handlers import digest_sender

    use_container(p)
    return lambda event: digest_sender.lambda_handler(event, LambdaContext())


def batch(p: Container) -> dict[str, Any]:
    """The whole planned batch as one SQS event, in the order of PEOPLE."""
    event = receive_event(p)
    event["Records"].sort(key=lambda r: ORDER.index(json.loads(r["body"])["subscriber"]))
    return event


def redelivered(event: dict[str, Any]) -> dict[str, Any]:
    """The same records handed over again, as SQS does after the visibility timeout."""
    again = copy.deepcopy(event)
    for record in again["Records"]:
        attributes = record["attributes"]
        attributes["ApproximateReceiveCount"] = str(int(attributes["ApproximateReceiveCount"]) + 1)
    return again


def failed_ids(response: dict[str, Any]) -> list[str]:
    return [f["itemIdentifier"] for f in response["batchItemFailures"]]


def test_each_relevant_subscriber_gets_one_digest_with_their_resources_and_links(
    p: Container, handler, container: Container
) -> None:
    response = handler(batch(p))
    assert response == {"batchItemFailures": []}
    mails = sent_mail()
    assert per_recipient(mails) == dict.fromkeys(RELEVANT, 1)
    resources = container.catalogue_store.resources(container.vocabulary)
    by_to = {m.to: m for m in mails}
    for address, expected in EXPECTED.items():
        assert shows(by_to[address], resources) == expected, address
    eli = shows(by_to["eli@example.org"], resources)
    assert len(eli) == 6 and all("individuals" in r.audiences for r in resources if r.id in eli)
    assert "Hello Amal," in by_to["amal@example.org"].text
    assert "subscribed to updates for schools on: all topics" in by_to["amal@example.org"].text
    tokens = p.tokens  # the same key and clock that signed the links
    for address, mail in by_to.items():
        key = p.subscriber_store.get(subscriber_key(address)).link_id  # what links carry
        unsubscribe = mail.headers["List-Unsubscribe"].strip("<>")
        assert unsubscribe.startswith("https://mailer.example.org/unsubscribe/")
        assert tokens.read(Purpose.UNSUBSCRIBE, unsubscribe.rsplit("/", 1)[1]) == key
        assert mail.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert unsubscribe in mail.text and unsubscribe in mail.html
        manage = next(w for w in mail.text.split() if "/preferences/" in w)
        assert tokens.read(Purpose.MANAGE, manage.rsplit("/", 1)[1]) == key
    status = p.campaigns.status("digest#2026-12")
    assert status.totals == {"planned": 5, "sent": 4, "skipped": 1, "suppressed": 0, "failed": 0}
    assert status.finished_at


def test_mjml_compiles_once_per_audience_and_topics(p: Container, container: Container) -> None:
    add(p.subscriber_store, "eve@example.org", "individuals", (), "Eve")  # same group as Eli
    p.planner.plan(p.planner.digest(DEC))  # already planned: Eve is not queued
    drain_queue(p)
    assert p.renderer.compiles == 4  # amal, chidi, dana, eli: four groups


def test_a_preview_is_the_senders_own_email_and_calls_no_aws(p: Container) -> None:
    """The preview composes with the sender's composer (the same bytes for the same reader),
    and asks SES for nothing: the web function's role may not read the quota."""
    campaign = p.planner.digest(DEC)
    member = reader("schools", ("law-and-policy",))
    with Stubber(p.clients.sesv2_send), Stubber(p.clients.sesv2):  # any SES call would fail
        shown = preview(p.composer, campaign, p.resources(), member, p.settings.site_url)
    assert shown is not None and b"/unsubscribe/PREVIEW" in shown.raw
    variant = p.composer.content(campaign).for_group("schools", ("law-and-policy",))
    assert variant is not None
    assert shown.email == p.composer.compose(member, variant, PreviewLinks(p.settings.site_url))[0]
    assert "sender" not in vars(p)  # no sender (so no SES quota read) was built for it


def test_variants_are_keyed_by_what_the_email_says(p: Container) -> None:
    """Same content, same key (another campaign object, another process); any difference in
    what the email says, a different key, so the renderer never mixes two emails up."""
    campaign = p.planner.digest(DEC)
    first = p.composer.variants(campaign, p.resources())
    again = p.composer.variants(p.planner.digest(DEC), p.resources())
    schools = first.for_group("schools", ("law-and-policy",))
    assert schools is not None
    assert schools.key == again.for_group("schools", ("law-and-policy",)).key
    others = [
        first.for_group("schools"),
        first.for_group("individuals", ("law-and-policy",)),
        first.for_group("schools", ("law-and-policy", "survivor-voice")),
    ]
    assert len({schools.key, *(v.key for v in others if v is not None)}) == 4


def test_sqs_delivers_a_batch_twice_one_email_per_subscriber(p: Container, handler) -> None:
    """Fault: SQS delivers the same batch twice (the recorded event fixture, twice)."""
    event = load_event("sqs_send_batch")
    assert handler(event) == {"batchItemFailures": []}
    assert handler(copy.deepcopy(event)) == {"batchItemFailures": []}
    assert per_recipient(sent_mail()) == dict.fromkeys(
        ["amal@example.org", "chidi@example.org", "dana@example.org"], 1
    )
    assert p.campaigns.status("digest#2026-12").totals["sent"] == 3


def test_a_copy_delivered_while_the_first_is_still_sending_is_retried_later_not_sent(
    p: Container, handler, container: Container
) -> None:
    """Fault: two senders get the same record at once (SQS's at-least-once delivery)."""
    event = batch(p)
    first = event["Records"][0]

    def second_sender_meanwhile(n: int, request: dict[str, Any]) -> None:
        if n == 1:
            with pytest.raises(InFlightError):
                p.sender.process_record(copy.deepcopy(first))

    spy_on_ses(container, fault=second_sender_meanwhile)
    assert handler({"Records": [first]}) == {"batchItemFailures": []}
    assert handler(redelivered({"Records": [first]})) == {"batchItemFailures": []}
    assert per_recipient(sent_mail()) == {"amal@example.org": 1}


@pytest.mark.parametrize(
    ("crash_point", "duplicates"),
    [
        ("before claiming", 0),
        ("after claiming", 0),
        ("reading the subscriber", 0),
        ("rendering", 0),
        ("calling SES, before it accepts", 0),
        ("SES accepted, ledger not yet updated", 1),  # the one window
        ("after the ledger says sent", 0),
        ("after the whole batch, before SQS deletes it", 0),
    ],
)
def test_a_sender_crashing_mid_batch_then_retried_sends_once_except_in_the_one_window(
    p: Container,
    handler,
    container: Container,
    clock: FakeClock,
    crash_point: str,
    duplicates: int,
) -> None:
    """Fault: the sender dies (a BaseException nothing may catch) while sending the first
    recipient of a batch of five, after the process has done part of the work; SQS hands the
    whole batch over again once the visibility timeout is up.

    The window: SES accepted the message, and the process died before the ledger entry became
    "sent". The entry still says "claimed" and has no SES message id, so the retry, finding the
    lease expired, sends again. Every other crash point leaves nothing sent (the retry sends
    once) or the entry final (the retry sends nothing). The table below proves it row by row.
    """
    spy = spy_on_ses(container)
    ledger, subscribers, renderer = p.ledger, p.subscriber_store, p.renderer
    faults = pytest.MonkeyPatch()

    def crash(obj: Any, name: str, *, after: bool = False) -> None:
        real = getattr(obj, name)
        calls = {"n": 0}

        def wrapped(*args: Any, **kwargs: Any) -> Any:
            calls["n"] += 1
            if calls["n"] == 1 and not after:
                raise SimulatedCrash(crash_point)
            result = real(*args, **kwargs)
            if calls["n"] == 1 and after:
                raise SimulatedCrash(crash_point)
            return result

        faults.setattr(obj, name, wrapped)

    def crash_in_ses(n: int, *_: Any) -> None:
        if n == 1:
            raise SimulatedCrash(crash_point)

    match crash_point:
        case "before claiming":
            crash(ledger, "claim")
        case "after claiming":
            crash(ledger, "claim", after=True)
        case "reading the subscriber":
            crash(subscribers, "get")
        case "rendering":
            crash(renderer, "render")
        case "calling SES, before it accepts":
            spy.fault = crash_in_ses
        case "SES accepted, ledger not yet updated":
            spy.after = crash_in_ses
        case "after the ledger says sent":
            crash(ledger, "finish", after=True)
    event = batch(p)
    if crash_point.startswith("after the whole batch"):
        assert handler(event) == {"batchItemFailures": []}
    else:
        with pytest.raises(SimulatedCrash):
            handler(event)
    entry = ledger.entry(p.campaigns.get("digest#2026-12"), ORDER[0])
    if crash_point == "SES accepted, ledger not yet updated":
        assert per_recipient(sent_mail()) == {"amal@example.org": 1}
        assert entry["state"] == "claimed" and "ses_message_id" not in entry
    faults.undo()  # the process restarts without the fault
    spy.fault = spy.after = None
    clock.advance(VISIBILITY_TIMEOUT)
    assert handler(redelivered(event)) == {"batchItemFailures": []}
    expected = dict.fromkeys(RELEVANT, 1)
    expected["amal@example.org"] += duplicates
    assert per_recipient(sent_mail()) == expected
    status = p.campaigns.status("digest#2026-12")
    assert status.totals["sent"] == 4 and status.in_flight == 0


def test_a_retry_inside_the_lease_is_reported_failed_and_sends_nothing(
    p: Container, handler, container: Container, clock: FakeClock
) -> None:
    """A claim younger than the lease may belong to a live sender: leave it to SQS to retry."""

    def crash_on_the_first_send(n: int, request: dict[str, Any]) -> None:
        if n == 1:
            raise SimulatedCrash("before SES accepts")

    spy = spy_on_ses(container, fault=crash_on_the_first_send)
    event = batch(p)
    with pytest.raises(SimulatedCrash):
        handler(event)
    spy.fault = None
    clock.advance(CLAIM_LEASE - 1)
    response = handler(redelivered(event))
    assert failed_ids(response) == [event["Records"][0]["messageId"]]
    assert per_recipient(sent_mail()).get("amal@example.org") is None
    clock.advance(2)
    assert handler(redelivered(redelivered(event))) == {"batchItemFailures": []}
    assert per_recipient(sent_mail())["amal@example.org"] == 1


def test_no_answer_from_ses_leaves_the_claim_for_the_lease_and_fails_the_record(
    p: Container, handler, container: Container
) -> None:
    """A lost answer is the window seen from inside: the claim stays, SQS retries later."""
    from botocore.exceptions import EndpointConnectionError

    def no_answer(n: int, request: dict[str, Any]) -> None:
        if n == 1:
            raise EndpointConnectionError(endpoint_url="https://email.eu-west-2.amazonaws.com")

    spy_on_ses(container, fault=no_answer)
    event = batch(p)
    response = handler(event)
    assert failed_ids(response) == [event["Records"][0]["messageId"]]
    entry = p.ledger.entry(p.campaigns.get("digest#2026-12"), ORDER[0])
    assert entry["state"] == "claimed"


def test_a_ledger_failure_after_ses_accepted_does_not_send_again(
    p: Container, handler, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SES took the message but the ledger write failed: report the record done, not failed,
    so SQS does not hand it back (the entry shows as in flight; the log has the SES id)."""
    from mailer.errors import StoreError

    real_finish = p.ledger.finish

    def broken_for_sent(claim: Any, outcome: SendOutcome, **kwargs: Any) -> None:
        if outcome is SendOutcome.SENT:
            raise StoreError("recording a send failed: InternalServerError")
        real_finish(claim, outcome, **kwargs)

    monkeypatch.setattr(p.ledger, "finish", broken_for_sent)
    event = batch(p)
    assert handler(event) == {"batchItemFailures": []}
    assert per_recipient(sent_mail()) == dict.fromkeys(RELEVANT, 1)
    assert p.campaigns.status("digest#2026-12").in_flight == 4


def test_ses_throttling_every_third_call_delivers_every_email(
    p: Container, handler, container: Container, clock: FakeClock
) -> None:
    """Fault: SES answers TooManyRequestsException to every third send_email call."""

    def every_third(n: int, request: dict[str, Any]) -> None:
        if n % 3 == 0:
            raise throttle_error()

    spy = spy_on_ses(container, fault=every_third)
    assert handler(batch(p)) == {"batchItemFailures": []}
    assert per_recipient(sent_mail()) == dict.fromkeys(RELEVANT, 1)
    assert spy.calls == 5  # four emails, one of them retried once
    assert len(clock.sleeps) >= 1  # it backed off (and paced) rather than hammering SES


def test_throttling_that_never_stops_goes_back_to_the_queue_and_then_the_dlq(
    p: Container, handler, container: Container, clock: FakeClock
) -> None:
    """Never silently dropped: failed records are redelivered, then dead-lettered."""

    def always(n: int, request: dict[str, Any]) -> None:
        raise throttle_error()

    spy_on_ses(container, fault=always)
    sqs, url = container.clients.sqs, p.settings.send_queue_url
    rounds = 0
    while True:
        event = receive_event(p)
        if not event["Records"]:
            break
        rounds += 1
        response = handler(event)
        failed = set(failed_ids(response))
        assert len(failed) == 4  # Bea has nothing relevant: skipped, not failed
        for record in event["Records"]:
            if record["messageId"] in failed:  # visible again at once, not in 3 minutes
                sqs.change_message_visibility(
                    QueueUrl=url, ReceiptHandle=record["receiptHandle"], VisibilityTimeout=0
                )
            else:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=record["receiptHandle"])
    assert rounds == MAX_RECEIVES
    dlq = sqs.get_queue_url(QueueName="mailer-SendDeadLetterQueue")["QueueUrl"]
    dead = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10).get("Messages", [])
    assert len(dead) == 4
    assert sent_mail() == []
    status = p.campaigns.status("digest#2026-12")
    assert status.totals["failed"] == 4 and status.totals["skipped"] == 1
    assert status.finished_at  # every recipient has an outcome; the failures are in the DLQ


def test_unsubscribed_or_suppressed_between_planning_and_sending_are_not_sent(
    p: Container, handler
) -> None:
    """Fault: Amal unsubscribes, Chidi is suppressed (a complaint), Dana erases their data and
    Eli narrows their topics, all after the planner queued them."""
    amal = p.subscriber_store.get(subscriber_key("amal@example.org"))
    from dataclasses import replace

    p.subscriber_store.put(replace(amal, status=Status.UNSUBSCRIBED))
    p.subscriber_store.suppress(
        subscriber_key("chidi@example.org"), "complaint", "2026-12-01T09:01"
    )
    p.subscriber_store.erase(subscriber_key("dana@example.org"), "2026-12-01T09:02:00+00:00")
    eli = p.subscriber_store.get(subscriber_key("eli@example.org"))
    p.subscriber_store.put(replace(eli, topics=("housing",)))
    assert handler(batch(p)) == {"batchItemFailures": []}
    mails = sent_mail()
    assert [m.to for m in mails] == ["eli@example.org"]
    assert "Safe homes" in mails[0].text  # Eli's topics now, not at planning time
    status = p.campaigns.status("digest#2026-12")
    assert status.totals == {"planned": 5, "sent": 1, "skipped": 3, "suppressed": 1, "failed": 0}


def test_malformed_or_unexpected_records_are_failed_items_not_a_crash(
    p: Container, handler, caplog: pytest.LogCaptureFixture
) -> None:
    """Fault: records that are not JSON, name no campaign, a bad key, or another version."""
    event = load_event("sqs_send_malformed")
    response = handler(event)
    assert failed_ids(response) == [r["messageId"] for r in event["Records"][1:]]
    errors = [
        r for r in caplog.records if r.levelname == "ERROR" and r.name == "mailer.campaigns.sender"
    ]
    assert len(errors) == 4
    assert per_recipient(sent_mail()) == {"amal@example.org": 1}
    assert handler({"detail-type": "Email Bounced"}) == {"batchItemFailures": []}
    assert handler({"Records": []}) == {"batchItemFailures": []}


def test_a_malformed_message_on_the_queue_is_retried_a_bounded_number_of_times_then_dlq(
    p: Container, handler, container: Container
) -> None:
    """No crash loop: the poison message reaches the DLQ after the redrive limit."""
    sqs, url = container.clients.sqs, p.settings.send_queue_url
    sqs.purge_queue(QueueUrl=url)
    sqs.send_message(QueueUrl=url, MessageBody="{not json")
    receives = 0
    while True:
        event = receive_event(p)
        if not event["Records"]:
            break
        receives += 1
        assert len(failed_ids(handler(event))) == 1
        sqs.change_message_visibility(
            QueueUrl=url, ReceiptHandle=event["Records"][0]["receiptHandle"], VisibilityTimeout=0
        )
    assert receives == MAX_RECEIVES
    dlq = sqs.get_queue_url(QueueName="mailer-SendDeadLetterQueue")["QueueUrl"]
    assert sqs.receive_message(QueueUrl=dlq)["Messages"][0]["Body"] == "{not json"


def test_with_too_little_time_left_records_are_left_for_the_next_invocation(
    p: Container, container: Container
) -> None:
    event = batch(p)
    with pytest.raises(OutOfTimeError):
        p.sender.process_record(event["Records"][0], time_left=lambda: 1.0)
    assert p.ledger.entry(p.campaigns.get("digest#2026-12"), ORDER[0]) is None
    assert sent_mail() == []


def test_the_request_is_raw_mime_with_the_configuration_set_and_tags(
    container: Container, clock: FakeClock
) -> None:
    settings = Settings.from_env({**TEST_ENV, "SES_CONFIGURATION_SET": "mailer-sending"})
    container = Container(settings, container.clients)
    spy = spy_on_ses(container)
    p = pipeline(container, clock)
    add_people(p.subscriber_store, PEOPLE[:1])
    p.planner.plan(p.planner.digest(DEC))
    drain_queue(p)
    (request,) = spy.requests
    assert request["ConfigurationSetName"] == "mailer-sending"
    assert request["EmailTags"] == [
        {"Name": "campaign", "Value": "digest-2026-12"},
        {"Name": "audience", "Value": "schools"},
    ]
    raw = request["Content"]["Raw"]["Data"].decode()
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in raw
    assert request["Destination"] == {"ToAddresses": ["amal@example.org"]}


def test_nothing_relevant_is_skipped_unless_the_nothing_new_note_is_switched_on(
    container: Container, clock: FakeClock
) -> None:
    settings = Settings.from_env({**TEST_ENV, "DIGEST_SEND_EMPTY": "1"})
    p = pipeline(Container(settings, container.clients), clock)
    add_people(p.subscriber_store, PEOPLE[:2])
    p.planner.plan(p.planner.digest(DEC))
    drain_queue(p)
    bea = next(m for m in sent_mail() if m.to == "bea@example.org")
    assert " ".join(NOTHING_NEW_INTRO.split()[:4]) in bea.text
    assert "/unsubscribe/" in bea.headers["List-Unsubscribe"]


# --- concurrency ------------------------------------------------------------------------------


def test_concurrent_senders_collide_on_campaign_items_yet_mail_everyone_once(
    container: Container, clock: FakeClock
) -> None:
    """Two senders of four threads each, and every write to the campaigns table first rejected
    as if another transaction held its item (moto never does): every subscriber is mailed
    exactly once, no batch fails, and the campaign finishes with the right counts."""
    spy = spy_on_ses(container)
    senders = [pipeline(container, clock, concurrently=ThreadPool(4)) for _ in range(2)]
    add_people(senders[0].subscriber_store)
    people = [(f"reader{i}@example.org", "individuals", (), "") for i in range(24)]
    add_people(senders[0].subscriber_store, people)
    table = container.settings.campaigns_table
    with conflicts_on(container.clients.dynamodb, table) as injector:
        senders[0].planner.plan(senders[0].planner.digest(DEC))
        results: list[object] = []
        # moto's ReceiveMessage is not atomic: two threads can take the same message at once
        # (a duplicate delivery, which test_sqs_delivers_a_batch_twice covers). Receiving in
        # turn keeps this test about collisions on campaign items.
        receiving = threading.Lock()

        class OneReceiverAtATime:
            def __getattr__(self, name: str) -> object:
                return getattr(container.clients.sqs, name)

            def receive_message(self, **request: object) -> object:
                with receiving:
                    return container.clients.sqs.receive_message(**request)

        threads = [
            threading.Thread(
                target=drain,
                args=(OneReceiverAtATime(), container.settings.send_queue_url),
                kwargs={
                    "process_batch": s.sender.process_batch,
                    "on_record": lambda record, result: results.append(result),
                },
            )
            for s in senders
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert injector.by_operation.get("PutItem") and injector.by_operation.get("UpdateItem")
    assert None not in results, "a batch failed"
    mailed = [r["Destination"]["ToAddresses"][0] for r in spy.requests]
    expected = set(RELEVANT) | {address for address, *_ in people}
    assert sorted(mailed) == sorted(expected), "someone got no email, or two"
    status = senders[0].campaigns.status("digest#2026-12")
    assert status.finished_at and status.in_flight == 0
    assert status.totals["sent"] == len(expected)


def test_a_sender_sends_the_records_of_a_batch_at_once(container: Container, clock) -> None:
    """Three sends wait for each other inside SES: only senders sending at once get past."""
    together = threading.Barrier(3, timeout=30)
    spy = spy_on_ses(container, fault=lambda n, request: together.wait() if n <= 3 else None)
    p = pipeline(container, clock, concurrently=ThreadPool(3))
    add_people(p.subscriber_store)
    p.planner.plan(p.planner.digest(DEC))
    assert None not in drain_queue(p)
    assert spy.calls == len(RELEVANT) and not together.broken


def test_finishing_is_checked_once_the_queue_drains_not_after_every_batch(
    p: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    counted: list[str] = []
    real_count = p.campaigns.count
    monkeypatch.setattr(
        p.campaigns, "count", lambda c, *rest: counted.append(c.id) or real_count(c, *rest)
    )
    first = receive_event(p, limit=2)
    p.sender.process_batch(first)
    assert counted == [], "the queue still holds recipients: no need to count the ledger"
    assert not p.campaigns.status("digest#2026-12").finished_at
    counted.clear()
    assert None not in drain_queue(p)
    assert counted == ["digest#2026-12"]  # once, by the batch that found the queue empty
    assert p.campaigns.status("digest#2026-12").finished_at


def test_a_campaign_whose_last_record_is_a_redelivered_duplicate_still_finishes(
    p: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first sender recorded every outcome, then died before its finish check; SQS hands
    the records over again, and the sender that finds them done finishes the campaign."""
    first = batch(p)
    monkeypatch.setattr(p.sender, "_queue_drained", lambda: False)  # it died first
    p.sender.process_batch(first)
    assert not p.campaigns.status("digest#2026-12").finished_at
    monkeypatch.undo()
    response = p.sender.process_batch(redelivered(first)).response
    assert response == {"batchItemFailures": []}
    assert p.campaigns.status("digest#2026-12").finished_at


def test_too_little_time_to_count_the_campaign_leaves_finishing_for_later_not_the_batch(
    p: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With too little time left to read the tallies, counting stops in time, the batch is
    reported done (not redelivered), and a later check finishes the campaign."""
    from mailer.campaigns import tally

    monkeypatch.setattr(tally, "COUNT_MARGIN", 60.0)  # more than the 30 s a sender ever has
    response = p.sender.process_batch(receive_event(p), time_left=lambda: 30.0).response
    assert response == {"batchItemFailures": []}
    assert len(sent_mail()) == len(RELEVANT)
    assert not p.campaigns.status("digest#2026-12").finished_at
    assert p.campaigns.try_finish("digest#2026-12")


def test_a_conflict_left_when_finishing_the_campaign_never_fails_the_batch(
    container: Container, clock: FakeClock
) -> None:
    """The campaign record collides on every attempt (retries run out) after the emails are
    out: the batch still succeeds, and the next check finishes the campaign."""
    spy = spy_on_ses(container)
    p = pipeline(container, clock)
    add_people(p.subscriber_store)
    p.planner.plan(p.planner.digest(DEC))

    def on_the_record(operation: str, request: dict[str, Any]) -> bool:
        return request.get("Key", {}).get("sk") == {"S": "meta"}

    table = p.settings.campaigns_table
    with conflicts_on(p.clients.dynamodb, table, times=99, when=on_the_record) as injector:
        response = p.sender.process_batch(receive_event(p)).response
    assert injector.rejected > 1
    assert response == {"batchItemFailures": []}
    assert spy.calls == len(RELEVANT)
    assert not p.campaigns.status("digest#2026-12").finished_at
    assert p.campaigns.try_finish("digest#2026-12")  # the next check, once the item is free


# --- pacing -----------------------------------------------------------------------------------


def test_the_token_bucket_paces_to_its_rate() -> None:
    clock = FakeClock(0.0)
    bucket = TokenBucket(7.0, 1.0, clock, clock.sleep)
    for _ in range(15):
        bucket.acquire()
    assert clock.now == pytest.approx(14 / 7)  # the first is free, then one every 1/7 s
    clock.advance(10)
    assert bucket.acquire() == 0.0  # idle time refills, but only up to the capacity of one
    assert bucket.acquire() == pytest.approx(1 / 7)


def test_a_throttled_try_waits_for_a_turn_of_its_own_so_no_turn_is_shared() -> None:
    """SES refused because its window was full: the retry takes the next free turn, behind the
    sends already waiting, never one of theirs (two sends in one turn are a burst SES refuses)."""
    clock = FakeClock(0.0)
    bucket = TokenBucket(10.0, 1.0, clock, sleep=lambda _: None)  # threads reserve, then sleep
    assert [bucket.acquire() for _ in range(3)] == pytest.approx([0.0, 0.1, 0.2])
    answers = iter([ThrottlingError("slow down"), "message-id"])

    def send() -> str:
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    turns: list[float] = []

    class Watched:
        def acquire(self) -> float:
            turns.append(bucket.acquire())
            return turns[-1]

    no_wait = Backoff(attempts=4, sleep=clock.sleep, jitter=lambda: 0.0)
    assert no_wait.call(send, pace=Watched()) == "message-id"
    assert turns == pytest.approx([0.3, 0.4])  # a turn each try, after the two promised ones


def test_each_sender_gets_its_share_of_the_account_rate(container: Container) -> None:
    settings = Settings.from_env({**TEST_ENV, "MAX_SEND_RATE": "14", "SENDER_CONCURRENCY": "4"})
    p = Container(settings, container.clients)
    bucket = p.sender.messenger.bucket
    assert bucket.rate == pytest.approx(QUOTA_SHARE * (14 - 1) / 4)  # 1 a second for notices
    assert bucket.capacity == pytest.approx(3)  # a few tokens banked across batch gaps
    fast = TokenBucket.for_sender(1000, 1.0, 10)
    assert fast.rate == pytest.approx(QUOTA_SHARE * 99.9)  # a reserve of a few, not a share
    assert fast.capacity == pytest.approx(QUOTA_SHARE * 99.9 * 0.25)  # a quarter second's worth
    sandbox = TokenBucket.for_sender(1, 5.0, 1)
    assert sandbox.rate == pytest.approx(QUOTA_SHARE * 0.5)  # at most half the quota kept


def test_a_bucket_banks_a_few_tokens_while_idle_and_shares_turns_between_threads() -> None:
    clock = FakeClock(0.0)
    bucket = TokenBucket(10.0, 3.0, clock, clock.sleep)
    assert [bucket.acquire() for _ in range(3)] == [0.0, 0.0, 0.0]  # the banked three
    assert bucket.acquire() == pytest.approx(0.1)
    clock.advance(60)  # a long pause banks three, not six hundred
    assert [bucket.acquire() for _ in range(4)] == pytest.approx([0.0, 0.0, 0.0, 0.1])
    waits: list[float] = []
    shared = TokenBucket(10.0, 1.0, clock=lambda: 0.0, sleep=lambda _: None)
    threads = [threading.Thread(target=lambda: waits.append(shared.acquire())) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Each thread reserved its own turn: one free, then 0.1 s apart, none sharing a turn.
    assert sorted(waits) == pytest.approx([0.0, 0.1, 0.2, 0.3, 0.4])


def test_senders_pace_at_the_quota_ses_reports_less_the_notice_reserve(
    container: Container,
) -> None:
    """SES's GetAccount gives the quota (moto has no GetAccount: a stub answers as SES does)."""
    settings = Settings.from_env(
        {**TEST_ENV, "SENDER_CONCURRENCY": "4", "NOTICE_RESERVE_RATE": "4", "MAX_SEND_RATE": "1"}
    )
    p = Container(settings, container.clients)
    client = container.clients.sesv2  # a real client, answered by the stub
    stub = Stubber(client)
    stub.add_response(
        "get_account",
        {
            "SendQuota": {"Max24HourSend": 1e6, "MaxSendRate": 200.0, "SentLast24Hours": 0.0},
            "ProductionAccessEnabled": True,
        },
    )
    container.clients.sesv2_send = client  # type: ignore[misc]
    with stub:
        assert p.sender.messenger.bucket.rate == pytest.approx(QUOTA_SHARE * (200 - 4) / 4)
    stub.assert_no_pending_responses()
    refused = Container(settings, container.clients)
    with Stubber(client) as denied:
        denied.add_client_error("get_account", "AccessDeniedException", http_status_code=403)
        # MAX_SEND_RATE of 1 a second: the reserve keeps back half of it, not more
        assert refused.sender.messenger.bucket.rate == pytest.approx(QUOTA_SHARE * 0.5 / 4)


def test_a_cold_senders_threads_read_the_campaign_record_and_its_control_once(
    container: Container,
) -> None:
    """A batch's threads start with the record and its control read, once, not once a thread:
    each read of the record costs several read units, and at R = 1,000 the herd of cold
    senders' threads took over half of a partition's reads."""
    clock = FakeClock(0.0)
    p = pipeline(container, clock, concurrently=ThreadPool(10))
    add_people(p.subscriber_store)
    p.planner.plan(p.planner.digest(DEC))
    store = p.campaigns
    reads: list[str] = []

    def slow(name: str, read: Callable[[str], Any]) -> Callable[[str], Any]:
        def spied(campaign: str) -> Any:
            reads.append(name)
            time.sleep(0.02)  # a read in flight while the other threads arrive
            return read(campaign)

        return spied

    store.get = slow("record", store.get)  # type: ignore[method-assign]
    store.control = slow("control", store.control)  # type: ignore[method-assign]
    event = receive_event(p)
    assert len(event["Records"]) == len(PEOPLE)
    report = p.sender.process_batch(event)
    assert report.response == {"batchItemFailures": []}
    assert reads == ["record", "control"]
    totals = p.campaigns.status("digest#2026-12").totals
    assert totals["sent"] + totals["skipped"] == totals["planned"] == len(PEOPLE)  # all decided
    clock.advance(2.0)  # past the control's time to live: the next batch reads it, once
    p.sender.book.prepare(["digest#2026-12"] * 10)
    assert reads == ["record", "control", "control"]  # the record is kept for good


def test_a_sender_on_lambda_warns_once_at_cold_start_when_senders_are_too_few(
    container: Container, caplog: pytest.LogCaptureFixture
) -> None:
    """A 200 a second quota needs 6 senders of 1,769 MB; 2 would send about 75 a second."""
    lambda_env = {**TEST_ENV, "MAX_SEND_RATE": "200", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1769"}
    too_few = Container(
        Settings.from_env({**lambda_env, "SENDER_CONCURRENCY": "2", "SENDER_THREADS": "10"}),
        container.clients,
    )
    with caplog.at_level(logging.WARNING, logger="mailer.campaigns.sizing"):
        too_few.sender.process_batch({"Records": []})
        too_few.sender.process_batch({"Records": []})  # warm: no second warning
    warnings = [r.getMessage() for r in caplog.records if r.name == "mailer.campaigns.sizing"]
    assert len(warnings) == 1
    assert "SENDER_CONCURRENCY is 2" in warnings[0]
    assert "needs 6 senders of 1769 MB" in warnings[0]
    assert "at about 75 a second" in warnings[0]
    assert "set the template's SenderConcurrency to 6" in warnings[0]
    caplog.clear()
    for env in (
        {**lambda_env, "SENDER_CONCURRENCY": "6", "SENDER_THREADS": "10"},  # enough
        {**TEST_ENV, "MAX_SEND_RATE": "200", "SENDER_CONCURRENCY": "2"},  # not on Lambda
    ):
        with caplog.at_level(logging.WARNING, logger="mailer.campaigns.sizing"):
            Container(Settings.from_env(env), container.clients).sender.process_batch(
                {"Records": []}
            )
    assert [r for r in caplog.records if r.name == "mailer.campaigns.sizing"] == []


def test_backoff_grows_with_jitter_and_gives_up_in_time() -> None:
    clock = FakeClock(0.0)
    calls = {"n": 0}

    def throttled() -> str:
        calls["n"] += 1
        raise ThrottlingError("slow down")

    backoff = Backoff(attempts=4, base=0.5, cap=1.5, sleep=clock.sleep, jitter=lambda: 1.0)
    with pytest.raises(ThrottlingError):
        backoff.call(throttled)
    assert calls["n"] == 4 and clock.sleeps == [0.5, 1.0, 1.5]
    half = Backoff(attempts=3, base=1.0, sleep=clock.sleep, jitter=lambda: 0.5)
    with pytest.raises(OutOfTimeError):
        half.call(throttled, time_left=lambda: 0.4)


def test_running_out_of_time_is_its_own_error_and_never_retried_as_throttling() -> None:
    """Issue 20, item 6: a stop for time is not SES or DynamoDB asking us to slow down."""
    clock = FakeClock(0.0)
    calls = {"n": 0}

    def out_of_time() -> str:
        calls["n"] += 1
        raise OutOfTimeError("too little time left")

    assert not issubclass(OutOfTimeError, ThrottlingError)
    with pytest.raises(OutOfTimeError):
        Backoff(attempts=5, sleep=clock.sleep).call(out_of_time)
    assert calls["n"] == 1 and clock.sleeps == []  # no backoff, no second try


def test_the_code_and_the_template_agree_on_queue_and_sender_limits(template) -> None:
    queue = template.resources["SendQueue"]["Properties"]
    sender = template.resources["DigestSenderFunction"]["Properties"]
    assert queue["VisibilityTimeout"] == VISIBILITY_TIMEOUT
    assert queue["RedrivePolicy"]["maxReceiveCount"] == MAX_RECEIVES
    assert sender["Timeout"] == SENDER_TIMEOUT and VISIBILITY_TIMEOUT >= 6 * SENDER_TIMEOUT
    source = sender["Events"]["SendQueue"]["Properties"]
    assert source["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert source["ScalingConfig"]["MaximumConcurrency"] == {"Ref": "SenderConcurrency"}
    assert template.global_environment()["SENDER_CONCURRENCY"] == {"Ref": "SenderConcurrency"}


@pytest.mark.parametrize(
    ("value", "message"),
    [("two", "SENDER_CONCURRENCY must be a whole number"), ("0", "1 or more")],
)
def test_sender_concurrency_must_be_a_positive_whole_number(value: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_env({**TEST_ENV, "SENDER_CONCURRENCY": value})
