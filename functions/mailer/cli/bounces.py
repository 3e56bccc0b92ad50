"""`mailer bounces replay`: act on SES events that could not be handled when they arrived."""

from __future__ import annotations

import json
from collections import Counter

import click

from mailer.aws.translate import aws_errors

from .context import Group, container_of, echo


@click.group(cls=Group)
def bounces() -> None:
    """Bounces and complaints from SES."""


@bounces.command("replay")
@click.option(
    "--queue-url",
    required=True,
    help="the SES events dead-letter queue (the stack's SesEventsDeadLetterQueue)",
)
@click.pass_context
def bounces_replay(ctx: click.Context, queue_url: str) -> None:
    """Handle every event waiting in the dead-letter queue, then delete it.

    SQS cannot move these messages back by itself (no queue redrives into this one: Lambda and
    EventBridge put them there), so this does what the events function would have done. An
    event that cannot be read stays in the queue and is listed.
    """
    container = container_of(ctx)
    handler = container.bounces
    sqs = container.clients.sqs
    outcomes: Counter[str] = Counter()
    left: list[str] = []
    while True:
        with aws_errors("reading the dead-letter queue"):
            messages = sqs.receive_message(
                QueueUrl=queue_url,
                MaxNumberOfMessages=10,
                WaitTimeSeconds=0,
                VisibilityTimeout=300,  # leave it hidden until this run ends: no double work
            ).get("Messages", [])
        if not messages:
            break
        for message in messages:
            try:
                event = json.loads(message["Body"])
            except ValueError:
                event = None
            report = handler.handle(event)
            outcomes[report.outcome] += 1
            if report.outcome == "rejected":
                left.append(f"{message['MessageId']}: {report.error}")
                continue
            with aws_errors("deleting a handled event"):
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    echo(
        f"handled {outcomes['handled']}, already handled {outcomes['duplicate']}, "
        f"unreadable {outcomes['rejected']} (left in the queue)"
    )
    for line in left:
        echo(f"  left: {line}")
