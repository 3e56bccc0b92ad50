"""Helpers for the campaign pipeline's tests: subscribers, a fake clock, SES fault injection,
SQS events as Lambda gets them, and moto's outbox read as people would read it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from mailer.campaigns.model import Period
from mailer.campaigns.queue import as_record, drain
from mailer.campaigns.sender import Result
from mailer.container import Container
from mailer.subscribers.identity import AddressKeys
from mailer.subscribers.model import Status, Subscriber
from mailer.subscribers.store import SubscriberStore

from .keys import KEYS

T0 = 1_796_115_600.0  # 2026-12-01T09:00:00Z, when the schedule starts December's digest

# (address, audience, topics, name): who subscribes in most tests, and what each should get.
PEOPLE = [
    ("amal@example.org", "schools", (), "Amal"),
    ("bea@example.org", "schools", ("housing",), ""),  # no school resource is about housing
    ("chidi@example.org", "faith-groups", ("survivor-voice",), "Chidi"),
    ("dana@example.org", "individuals", ("domestic-workers",), "Dana"),
    ("eli@example.org", "individuals", (), ""),
]
EXPECTED = {
    "amal@example.org": {
        "access-to-work-for-survivors",
        "agents-for-change-2020",
        "immigration-bill-amendment-60-domestic-workers-2017",
        "real-people-real-lives-2019",
        "un-upr-submission-migrant-domestic-workers-2022",
    },
    "chidi@example.org": {"agents-for-change-2020", "one-day-at-a-time-2022"},
    "dana@example.org": {
        "immigration-bill-amendment-60-domestic-workers-2017",
        "un-upr-submission-migrant-domestic-workers-2022",
    },
}
RELEVANT = ["amal@example.org", "chidi@example.org", "dana@example.org", "eli@example.org"]


class FakeClock:
    """Wall clock and monotonic clock in one; sleeping advances it and is recorded."""

    def __init__(self, now: float = T0) -> None:
        self.now = now
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Let time pass."""
        self.now += seconds

    def sleep(self, seconds: float) -> None:
        """What the code under test calls instead of time.sleep."""
        self.sleeps.append(seconds)
        self.now += seconds


def pipeline(container: Container, clock: FakeClock, **options: Any) -> Container:
    """A container on the same moto, with the fake clock for time, pacing and backoff."""
    return Container(
        container.settings,
        container.clients,
        clock=clock,
        monotonic=clock,
        sleep=clock.sleep,
        **options,
    )


def add_people(
    store: SubscriberStore,
    people: Iterable[tuple[str, str, tuple[str, ...], str]] = PEOPLE,
    keys: AddressKeys = KEYS,
) -> None:
    """Confirmed subscribers, written as the subscription pages would leave them."""
    for address, audience, topics, name in people:
        add(store, address, audience, topics, name, keys=keys)


def add(
    store: SubscriberStore,
    address: str,
    audience: str,
    topics: tuple[str, ...] = (),
    name: str = "",
    status: Status = Status.CONFIRMED,
    keys: AddressKeys = KEYS,
) -> Subscriber:
    """One subscriber in the given state (keyed as the tests' stack keys, unless told)."""
    subscriber = Subscriber(
        key=keys.key(address),
        email=address,
        audience=audience,
        topics=topics,
        name=name,
        status=status,
        created_at="2026-11-01T10:00:00+00:00",
        confirmed_at="2026-11-01T10:05:00+00:00" if status is Status.CONFIRMED else "",
        updated_at="2026-11-01T10:05:00+00:00",
    )
    store.put(subscriber)
    return subscriber


def drain_queue(p: Container) -> list[Result | None]:
    """Run the senders in process until the queue is empty (None: a record that failed)."""
    results: list[Result | None] = []
    drain(
        p.clients.sqs,
        p.settings.send_queue_url,
        p.sender.process_batch,
        on_record=lambda record, result: results.append(result),
    )
    return results


def receive_event(p: Container, limit: int = 10) -> dict[str, Any]:
    """Take up to `limit` messages off the queue as the SQS event source would hand them over."""
    messages = p.clients.sqs.receive_message(
        QueueUrl=p.settings.send_queue_url,
        MaxNumberOfMessages=limit,
        MessageSystemAttributeNames=["ApproximateReceiveCount"],
    ).get("Messages", [])
    return {"Records": [as_record(m) for m in messages]}


def throttle_error() -> ClientError:
    """What SES v2 answers when sends come too fast."""
    return ClientError(
        {
            "Error": {
                "Code": "TooManyRequestsException",
                "Message": "Maximum sending rate exceeded.",
            }
        },
        "SendEmail",
    )


class SimulatedCrash(BaseException):
    """The process dying: a BaseException, so no `except Exception` in the code can catch it."""


@dataclass
class SesSpy:
    """Wraps the real SES v2 client: counts and records send_email calls, injects faults.

    `fault(n, request)` runs before the n-th call (1-based); it may raise to fail that call
    before SES sees it. `after(n, request, response)` runs after SES accepted the n-th call.
    """

    real: Any
    fault: Callable[[int, dict[str, Any]], None] | None = None
    after: Callable[[int, dict[str, Any], dict[str, Any]], None] | None = None
    calls: int = 0
    requests: list[dict[str, Any]] = field(default_factory=list)

    def send_email(self, **request: Any) -> dict[str, Any]:
        self.calls += 1
        self.requests.append(request)
        if self.fault is not None:
            self.fault(self.calls, request)
        response = self.real.send_email(**request)
        if self.after is not None:
            self.after(self.calls, request, response)
        return response

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


def spy_on_ses(container: Container, **kwargs: Any) -> SesSpy:
    """Put a spy between the pipeline and moto's SES (before the sender is built)."""
    spy = SesSpy(container.clients.sesv2_send, **kwargs)
    container.clients.sesv2_send = spy  # type: ignore[misc] (a cached_property, replaced per test)
    return spy


def planned_digest(container: Container, clock: FakeClock) -> Container:
    """The pipeline with the usual five subscribers and December 2026's digest planned, nothing
    sent yet."""
    built = pipeline(container, clock)
    add_people(built.subscriber_store)
    built.planner.plan(built.planner.digest(Period(2026, 12)))
    return built
