"""Quota use: the real planner and senders, on simulated time, against fakes that enforce what
AWS enforces (fakes.py). N recipients at an SES quota of R a second: how much of R the senders
reach, SES throttles, duplicates, recipients not sent, failed batches."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")

import boto3
from moto import mock_aws

from mailer.aws.clients import Clients
from mailer.campaigns.model import Period
from mailer.campaigns.queue import as_record
from mailer.container import Container
from mailer.local.provision import provision
from mailer.local.template import Template, default_template_path
from mailer.settings import Settings
from mailer.subscribers.model import Status, Subscriber

from .fakes import DynamoTiming, FakeSes, FakeSqs
from .simtime import SimTime

ENV = {
    "SENDER_ADDRESS": "news@mailer.example.org",
    "SITE_URL": "https://mailer.example.org",
    "CATALOGUE_TABLE": "bench-catalogue",
    "SUBSCRIBERS_TABLE": "bench-subscribers",
    "CAMPAIGNS_TABLE": "bench-campaigns",
    "SEND_QUEUE_URL": "https://sqs.eu-west-2.amazonaws.com/123456789012/bench-send",
    "SECRET_KEY": "bench",
    "POSTAL_ADDRESS": "1 Bench Street, London",
}
TOPIC_SETS = [(), ("housing",), ("survivor-voice", "right-to-work"), ("law-and-policy",)]
INVOKE_OVERHEAD = 0.02  # seconds: the event source's poll and the Lambda invoke, per batch
SENDER_THREADS = 8


def senders_for(rate: float, threads: int = SENDER_THREADS) -> int:
    """The SENDER_CONCURRENCY a deployment would set: a sender's threads send about one email
    each per 100 ms (SES latency plus our own calls), so enough senders for 1.5 times R."""
    return max(2, round(1.5 * rate / (threads * 8) + 0.5))


@dataclass
class QuotaResult:
    """One run of the quota simulation."""

    recipients: int
    rate: float
    senders: int
    share: float
    seconds: float  # simulated, first to last accepted send
    sent: int
    duplicates: int
    not_sent: int
    throttles: int
    failed_batches: int
    failed_records: int
    conflicts: int
    dynamodb_calls: dict[str, int]
    read_units: float
    write_units: float
    sqs_calls: dict[str, int]
    ses_calls: int
    invocations: int
    lambda_seconds: float  # simulated duration of every sender invocation together
    finished: bool = False  # the campaign record says finished

    @property
    def reached(self) -> float:
        """Messages a second reached, as a share of R."""
        return self.sent / self.seconds / self.rate if self.seconds else 0.0


def _subscribers(container: Container, n: int) -> None:
    table = container.table(container.settings.subscribers_table)
    audiences = list(container.vocabulary.audiences)
    with table.batch_writer() as batch:
        for i in range(n):
            address = f"reader{i}@example.org"
            batch.put_item(
                Item=Subscriber(
                    key=container.keys.key(address),
                    email=address,
                    audience=audiences[i % len(audiences)],
                    topics=TOPIC_SETS[i % len(TOPIC_SETS)],
                    status=Status.CONFIRMED,
                    updated_at="2026-11-01T00:00:00+00:00",
                ).to_item()
            )


def run(
    recipients: int, rate: float, *, share: float = 0.9, senders: int | None = None
) -> QuotaResult:
    """Plan and send one digest to `recipients` people at an SES quota of `rate` a second."""
    senders = senders or senders_for(rate)
    logging.disable(logging.CRITICAL)  # the pipeline's logs cost more CPU than it does
    try:
        return _run(recipients, rate, share, senders)
    finally:
        logging.disable(logging.NOTSET)


def _run(recipients: int, rate: float, share: float, senders: int) -> QuotaResult:
    with mock_aws():
        sim = SimTime()
        env = {
            **ENV,
            "SEND_RATE_SHARE": str(share),
            "SENDER_CONCURRENCY": str(senders),
            "SENDER_THREADS": str(SENDER_THREADS),
        }
        settings = Settings.from_env(env)
        clients = Clients(settings, boto3.Session(region_name="eu-west-2"))
        provision(clients, Template.load(default_template_path()))
        setup = Container(settings, clients)
        setup.catalogue_store.sync(setup.catalogue_files())
        _subscribers(setup, recipients)
        ses, sqs = FakeSes(sim, rate), FakeSqs(sim)
        clients.sesv2_send = ses  # type: ignore[misc]
        clients.sqs = sqs  # type: ignore[misc]
        dynamo = DynamoTiming(sim, clients.dynamodb.meta.client)
        tally = {"invocations": 0, "failed_batches": 0, "failed_records": 0, "busy": 0.0}
        planned = {"done": False}

        def container() -> Container:
            return Container(
                settings,
                clients,
                clock=sim,
                monotonic=sim,
                sleep=sim.sleep,
                concurrently=sim.concurrently,
            )

        def planner() -> None:
            p = container()
            p.planner._concurrently = sim.concurrently
            p.planner.plan(p.planner.digest(Period(2026, 12)))
            planned["done"] = True

        def sender() -> None:
            s = container().sender
            while True:
                messages = sqs.receive()
                if not messages:
                    if planned["done"] and sqs.idle():
                        return
                    sim.sleep(1.0)  # the event source's long poll
                    continue
                tally["invocations"] += 1
                started = sim()
                sim.sleep(INVOKE_OVERHEAD)
                try:
                    report = s.process_batch([as_record(m) for m in messages])
                except Exception:  # Lambda failed: the whole batch comes back
                    tally["failed_batches"] += 1
                    continue
                finally:
                    tally["busy"] += sim() - started
                for message, (_, result) in zip(messages, report.results, strict=True):
                    if result is None:
                        tally["failed_records"] += 1
                    else:
                        sqs.delete(message["MessageId"], message["ReceiptHandle"])

        def everything() -> None:
            tasks = [sim.spawn(planner)] + [sim.spawn(sender) for _ in range(senders)]
            sim.join(tasks)
            errors = [t.error for t in tasks if t.error is not None]
            if errors:
                raise errors[0]

        sim.run(everything)
        sent = len(ses.sent)
        status = setup.campaigns.status("digest#2026-12")
        assert status is not None
        # Recipients skipped for nothing relevant, or suppressed, are not owed an email.
        not_owed = status.totals["skipped"] + status.totals["suppressed"]
        return QuotaResult(
            recipients=recipients,
            rate=rate,
            senders=senders,
            share=share,
            seconds=ses.last - ses.first + 1.0 / rate,
            sent=sent,
            duplicates=sum(n - 1 for n in ses.sent.values()),
            not_sent=recipients - not_owed - sent,
            finished=bool(status.finished_at),
            throttles=ses.throttled,
            failed_batches=tally["failed_batches"],
            failed_records=tally["failed_records"],
            conflicts=dynamo.conflicts,
            dynamodb_calls=dict(dynamo.calls),
            read_units=dynamo.read_units,
            write_units=dynamo.write_units,
            sqs_calls=dict(sqs.calls),
            ses_calls=sent + ses.throttled,
            invocations=tally["invocations"],
            lambda_seconds=tally["busy"],
        )


if __name__ == "__main__":
    import sys
    import time

    n, r = int(sys.argv[1]), float(sys.argv[2])
    t = time.perf_counter()
    result = run(n, r)
    print(result, f"reached {result.reached:.1%}", f"cpu {time.perf_counter() - t:.1f}s")
