"""Lambda entry point for the planner: EventBridge Scheduler starts it on the 1st of each month."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from mailer.container import Services
from mailer.errors import MailerError
from mailer.pipeline import Pipeline
from mailer.settings import Settings

logger = Logger()
_pipeline: Pipeline | None = None


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Plan the campaign the event names; a stop for time raises, so Lambda retries and resumes."""
    global _pipeline
    _pipeline = _pipeline or Pipeline(Services(Settings.from_env()))
    try:
        campaign = _pipeline.planner.campaign_for(event)
    except MailerError as exc:  # retrying a malformed event cannot help: log it and stop
        logger.error("rejected a planner event", extra={"error": str(exc)})
        return {"status": "rejected", "error": str(exc)}
    report = _pipeline.planner.plan(
        campaign, time_left=lambda: context.get_remaining_time_in_millis() / 1000
    )
    logger.info("planned", extra={"plan": report.to_json()})
    return {"status": "planned", **report.to_json()}
