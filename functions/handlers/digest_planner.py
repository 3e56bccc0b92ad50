"""Lambda entry point for the planner: the schedules (a digest draft prepared, a digest sent on
the 1st, a campaign sent at the time a sender chose) or staff (an approved campaign, a requeue,
a campaign's schedule to set or delete)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from mailer.container import current

from . import time_left

logger = Logger()


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Plan the campaign the event names; a stop for time raises, so Lambda retries and resumes."""
    container = current()
    if container.schedules.handles(event):  # its schedules target this very function
        return container.schedules.handle(event, time_left(context), context.invoked_function_arn)
    return container.digests.handle(event, time_left(context))
