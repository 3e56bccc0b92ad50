"""Lambda entry point for SES bounce and complaint events (an EventBridge rule, source aws.ses)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from mailer.container import Services
from mailer.pipeline import Pipeline
from mailer.settings import Settings

logger = Logger()
_pipeline: Pipeline | None = None


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Suppress addresses that complained or bounced; reject (and log) anything else."""
    global _pipeline
    _pipeline = _pipeline or Pipeline(Services(Settings.from_env()))
    account = str(context.invoked_function_arn).split(":")[4]
    report = _pipeline.bounces.handle(event, account=account)
    logger.info("SES event", extra={"ses_event": report.to_json()})
    return report.to_json()
