"""Lambda entry point for SES bounce and complaint events (an EventBridge rule, source aws.ses)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from mailer.container import current

logger = Logger()


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Suppress addresses that complained or bounced; reject (and log) anything else."""
    account = str(context.invoked_function_arn).split(":")[4]
    return current().bounces.handle(event, account=account).to_json()
