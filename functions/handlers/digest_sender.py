"""Lambda entry point for the senders: SQS batches of recipients, partial batch responses."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from mailer.container import Services
from mailer.pipeline import Pipeline
from mailer.settings import Settings

logger = Logger()
# Every record failing is still a partial response: SQS retries them, then dead-letters them.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
_pipeline: Pipeline | None = None


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Send each record's email once; report the records to retry."""
    global _pipeline
    _pipeline = _pipeline or Pipeline(Services(Settings.from_env()))
    if not isinstance(event, dict) or not event.get("Records"):
        logger.error("not an SQS event: nothing to send or retry")
        return {"batchItemFailures": []}
    sender = _pipeline.sender

    def time_left() -> float:
        return context.get_remaining_time_in_millis() / 1000

    def send(record: SQSRecord) -> str:
        return sender.process_record(record.raw_event, time_left).outcome

    response = process_partial_response(event, send, processor, context)
    sender.finish_campaigns()
    return response
