"""The digest pipeline end to end on in-process moto: planning and sending cost per recipient.

moto stands in for DynamoDB, SQS and SES, so absolute times are moto's, not AWS's; the figures
show the pipeline's own overhead per recipient and that it scales linearly (no hidden loops over
the whole list). Pacing is switched off (a very high send rate) to measure the work itself.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import time

os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")

import boto3
from moto import mock_aws

from mailer.aws.clients import Clients
from mailer.campaigns.model import Period
from mailer.campaigns.queue import drain
from mailer.container import Container
from mailer.local.provision import provision
from mailer.local.template import Template, default_template_path
from mailer.settings import Settings
from mailer.subscribers.model import Status, Subscriber

ENV = {
    "SENDER_ADDRESS": "news@mailer.example.org",
    "SITE_URL": "https://mailer.example.org",
    "CATALOGUE_TABLE": "bench-catalogue",
    "SUBSCRIBERS_TABLE": "bench-subscribers",
    "CAMPAIGNS_TABLE": "bench-campaigns",
    "SEND_QUEUE_URL": "https://sqs.eu-west-2.amazonaws.com/123456789012/bench-send",
    "SECRET_KEY": "bench",
    "POSTAL_ADDRESS": "1 Bench Street, London",
    "MAX_SEND_RATE": "100000",  # no pacing: measure the work, not the wait
}
TOPIC_SETS = [(), ("housing",), ("survivor-voice", "right-to-work"), ("law-and-policy",)]


def run(subscribers: int) -> tuple[float, float, int]:
    """Plan and send one digest to `subscribers` people; (plan seconds, send seconds, sent)."""
    with mock_aws():
        settings = Settings.from_env(ENV)
        container = Container(settings, Clients(settings, boto3.Session(region_name="eu-west-2")))
        provision(container.clients, Template.load(default_template_path()))
        container.catalogue_store.sync(container.catalogue_files())
        audiences = list(container.vocabulary.audiences)
        for i in range(subscribers):
            address = f"reader{i}@example.org"
            container.subscriber_store.put(
                Subscriber(
                    key=container.keys.key(address),
                    email=address,
                    audience=audiences[i % 3],
                    topics=TOPIC_SETS[i % len(TOPIC_SETS)],
                    status=Status.CONFIRMED,
                    updated_at="2026-11-01T00:00:00+00:00",
                )
            )
        started = time.perf_counter()
        container.planner.plan(container.planner.digest(Period(2026, 12)))
        planned = time.perf_counter()
        report = drain(
            container.clients.sqs, settings.send_queue_url, container.sender.process_batch
        )
        sent = time.perf_counter()
        return planned - started, sent - planned, report.deleted


def main() -> None:
    """Print per-recipient costs at two list sizes."""
    print(
        f"date: {dt.date.today()}  machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}  (AWS is in-process moto)"
    )
    for size in (100, 400):
        plan, send, processed = run(size)
        print(
            f"{size:>5} subscribers: plan {plan / size * 1e3:.2f} ms/recipient, "
            f"send {send / size * 1e3:.2f} ms/recipient ({processed} records)"
        )


if __name__ == "__main__":
    main()
