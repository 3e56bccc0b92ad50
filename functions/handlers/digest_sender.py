"""Lambda entry point for the senders: SQS batches of recipients, partial batch responses."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from mailer.container import current

from . import time_left

logger = Logger()


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Send each record's email once; report the records SQS must deliver again."""
    return current().sender.process_batch(event, time_left(context)).response
