"""Lambda entry point for the staff console (/staff): API Gateway HTTP API (payload v2) to
Flask via apig-wsgi, in a function of its own whose role holds what only the console needs."""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools import Logger

from mailer.container import current
from web import create_staff_app
from web.lambda_event import http_api_v2_handler

logger = Logger()


@cache
def _wsgi_handler(container: object) -> Any:
    return http_api_v2_handler(create_staff_app(container))


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Serve one console request; the app is built on the first request, then reused."""
    return _wsgi_handler(current())(event, context)
