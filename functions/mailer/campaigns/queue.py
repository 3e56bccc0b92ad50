"""The send queue: the message each recipient becomes, and moving those messages through SQS.

One message is one recipient of one campaign: one SQS record is one idempotent unit of work, so a
partial batch response names exactly the recipients still to send. Messages carry the
subscriber's key, never the address: the sender reads the subscriber fresh anyway, and nothing
personal sits in the queue or its dead-letter queue.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mailer.aws.retry import Backoff
from mailer.aws.translate import aws_errors
from mailer.errors import MailerError, StoreError

from .model import is_campaign_id
from .workers import Concurrently, in_turn

_KEY = re.compile(r"^[0-9a-f]{64}$")
_AUDIENCE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
SQS_BATCH = 10  # SQS's limit for send_message_batch and receive_message


class MalformedJobError(MailerError):
    """A queue message that is not a send job this code understands."""


@dataclass(frozen=True)
class SendJob:
    """Send one campaign to one subscriber."""

    campaign_id: str
    subscriber_key: str
    audience: str  # the audience the planner found the subscriber in

    def to_body(self) -> str:
        """The SQS message body."""
        return json.dumps(
            {
                "v": 1,
                "campaign": self.campaign_id,
                "subscriber": self.subscriber_key,
                "audience": self.audience,
            }
        )

    @classmethod
    def from_body(cls, body: str) -> SendJob:
        """Parse and check a message body; MalformedJobError says what is wrong."""
        try:
            data = json.loads(body)
        except (TypeError, ValueError):
            raise MalformedJobError("message body is not JSON") from None
        if not isinstance(data, dict) or data.get("v") != 1:
            raise MalformedJobError("message is not a version 1 send job")
        campaign, key, audience = data.get("campaign"), data.get("subscriber"), data.get("audience")
        if not is_campaign_id(campaign):
            raise MalformedJobError("message names no valid campaign")
        if not isinstance(key, str) or not _KEY.match(key):
            raise MalformedJobError("message names no valid subscriber key")
        if not isinstance(audience, str) or not _AUDIENCE.match(audience):
            raise MalformedJobError("message names no valid audience")
        return cls(campaign, key, audience)


ENQUEUE_BACKOFF = Backoff(attempts=4, base=0.4)


class _EntriesRefusedError(StoreError):
    """SQS took a batch call but refused some of its entries."""


def enqueue(
    sqs: Any,
    queue_url: str,
    jobs: Sequence[SendJob],
    *,
    backoff: Backoff = ENQUEUE_BACKOFF,
    concurrently: Concurrently[None] = in_turn,
) -> None:
    """Put jobs on the queue in batches of ten, the batch calls run by `concurrently` (a thread
    pool in the planner: one call at a time takes about 20 ms on AWS, too slow for a million),
    retrying entries SQS did not take.

    StoreError if some still fail: the planner then stops without moving its checkpoint, and
    its retry enqueues the page again (the ledger makes the duplicates harmless).
    """
    batches = [
        _Batch(sqs, queue_url, jobs[start : start + SQS_BATCH])
        for start in range(0, len(jobs), SQS_BATCH)
    ]
    outcomes = concurrently(
        [
            lambda batch=batch: backoff.call(batch.send_pending, retry_on=(_EntriesRefusedError,))
            for batch in batches
        ]
    )
    failures = [outcome for outcome in outcomes if isinstance(outcome, Exception)]
    if failures:
        raise failures[0]


class _Batch:
    """Up to ten jobs, and which of them SQS has not taken yet."""

    def __init__(self, sqs: Any, queue_url: str, jobs: Sequence[SendJob]) -> None:
        self._sqs = sqs
        self._queue_url = queue_url
        self._pending = {str(i): job for i, job in enumerate(jobs)}

    def send_pending(self) -> None:
        entries = [{"Id": i, "MessageBody": job.to_body()} for i, job in self._pending.items()]
        with aws_errors("queueing recipients"):
            response = self._sqs.send_message_batch(QueueUrl=self._queue_url, Entries=entries)
        self._pending = {f["Id"]: self._pending[f["Id"]] for f in response.get("Failed", [])}
        if self._pending:
            raise _EntriesRefusedError(
                f"SQS refused {len(self._pending)} recipient message(s) after retries"
            )


@dataclass
class BatchReport:
    """What a sender made of one batch of records: each record's result (None: failed, so SQS
    should deliver it again), in the shape a Lambda partial batch response needs."""

    results: list[tuple[Mapping[str, Any], object | None]] = field(default_factory=list)

    @property
    def response(self) -> dict[str, list[dict[str, str]]]:
        """The partial batch response: the records SQS must deliver again."""
        return {
            "batchItemFailures": [
                {"itemIdentifier": str(record.get("messageId", ""))}
                for record, result in self.results
                if result is None
            ]
        }


@dataclass
class DrainReport:
    """What an in-process drain of the queue did."""

    received: int = 0
    deleted: int = 0
    failed: int = 0


def drain(
    sqs: Any,
    queue_url: str,
    process_batch: Callable[[list[dict[str, Any]]], BatchReport],
    *,
    on_record: Callable[[Mapping[str, Any], object | None], None] | None = None,
) -> DrainReport:
    """Receive batches and hand them to `process_batch` as the Lambda event source would: a
    failed record stays on the queue (visible again after the visibility timeout, then the
    dead-letter queue); the others are deleted. Stops when the queue has nothing visible."""
    report = DrainReport()
    empty = 0
    while True:
        with aws_errors("receiving recipients"):
            messages = sqs.receive_message(
                QueueUrl=queue_url,
                MaxNumberOfMessages=SQS_BATCH,
                MessageSystemAttributeNames=["ApproximateReceiveCount"],
                WaitTimeSeconds=0,
            ).get("Messages", [])
        if not messages:
            # Short polling can miss messages on a real queue: trust an empty answer only when
            # the queue also says nothing is visible, and give up after a few tries anyway.
            empty += 1
            if empty >= 5 or _visible(sqs, queue_url) == 0:
                return report
            continue
        empty = 0
        batch = process_batch([as_record(m) for m in messages])
        done = []
        for message, (record, result) in zip(messages, batch.results, strict=True):
            report.received += 1
            if result is None:
                report.failed += 1
            else:
                done.append(message)
            if on_record is not None:
                on_record(record, result)
        if done:
            with aws_errors("deleting sent recipients"):
                sqs.delete_message_batch(
                    QueueUrl=queue_url,
                    Entries=[
                        {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                        for i, m in enumerate(done)
                    ],
                )
            report.deleted += len(done)


def _visible(sqs: Any, queue_url: str) -> int:
    with aws_errors("reading the queue length"):
        attributes = sqs.get_queue_attributes(
            QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages"]
        )["Attributes"]
    return int(attributes.get("ApproximateNumberOfMessages", 0))


def drained(sqs: Any, queue_url: str) -> bool:
    """True when the queue has no message waiting to be received (messages being sent by some
    sender may remain: each sender checks after its own batch, so the last one to record its
    outcomes sees every other's)."""
    with aws_errors("reading the queue length"):
        attributes = sqs.get_queue_attributes(
            QueueUrl=queue_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesDelayed"],
        )["Attributes"]
    return (
        int(attributes.get("ApproximateNumberOfMessages", 0))
        + int(attributes.get("ApproximateNumberOfMessagesDelayed", 0))
        == 0
    )


def as_record(message: Mapping[str, Any]) -> dict[str, Any]:
    """An SQS message from receive_message in the shape of a Lambda SQS event record."""
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": dict(message.get("Attributes", {})),
        "messageAttributes": {},
        "eventSource": "aws:sqs",
    }
