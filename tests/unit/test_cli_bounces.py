"""`mailer bounces replay`: events parked in the dead-letter queue are acted on, not lost."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from mailer.cli.main import main
from mailer.container import Services
from mailer.subscribers.store import subscriber_key

EVENTS = Path(__file__).resolve().parents[1] / "events"


def test_replay_suppresses_parked_complaints_and_keeps_unreadable_events(
    services: Services,
) -> None:
    sqs = services.clients.sqs
    queue = sqs.get_queue_url(QueueName="mailer-SesEventsDeadLetterQueue")["QueueUrl"]
    sqs.send_message(QueueUrl=queue, MessageBody=(EVENTS / "ses_complaint.json").read_text())
    sqs.send_message(QueueUrl=queue, MessageBody="not json at all")
    store = services.subscriber_store
    assert not store.is_suppressed(subscriber_key("dana@example.org"))

    result = CliRunner().invoke(main, ["bounces", "replay", "--queue-url", queue], obj=services)
    assert result.exit_code == 0, result.output
    assert "handled 1, already handled 0, unreadable 1 (left in the queue)" in result.output
    assert store.is_suppressed(subscriber_key("dana@example.org"))

    sqs.send_message(QueueUrl=queue, MessageBody=(EVENTS / "ses_complaint.json").read_text())
    again = CliRunner().invoke(main, ["bounces", "replay", "--queue-url", queue], obj=services)
    assert "already handled 1" in again.output  # the same event twice is acted on once
