"""`mailer bounces replay`: events parked in the dead-letter queue are acted on, not lost."""

from __future__ import annotations

import json

from click.testing import CliRunner

from mailer.cli.main import main
from mailer.container import Container
from tests.support.keys import subscriber_key
from tests.support.lambda_events import load_event


def test_replay_suppresses_parked_complaints_and_keeps_unreadable_events(
    container: Container,
) -> None:
    sqs = container.clients.sqs
    queue = sqs.get_queue_url(QueueName="mailer-SesEventsDeadLetterQueue")["QueueUrl"]
    sqs.send_message(QueueUrl=queue, MessageBody=json.dumps(load_event("ses_complaint")))
    sqs.send_message(QueueUrl=queue, MessageBody="not json at all")
    store = container.subscriber_store
    assert not store.is_suppressed(subscriber_key("dana@example.org"))

    result = CliRunner().invoke(main, ["bounces", "replay", "--queue-url", queue], obj=container)
    assert result.exit_code == 0, result.output
    assert "handled 1, already handled 0, unreadable 1 (left in the queue)" in result.output
    assert store.is_suppressed(subscriber_key("dana@example.org"))

    sqs.send_message(QueueUrl=queue, MessageBody=json.dumps(load_event("ses_complaint")))
    again = CliRunner().invoke(main, ["bounces", "replay", "--queue-url", queue], obj=container)
    assert "already handled 1" in again.output  # the same event twice is acted on once
