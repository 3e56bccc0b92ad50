"""Lambda entry point for the public pages: API Gateway HTTP API (payload v2) to Flask via
apig-wsgi. The staff console is another function (handlers/staff.py) with its own role."""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools import Logger

from mailer.container import current
from web import create_public_app
from web.lambda_event import http_api_v2_handler

logger = Logger()


@cache
def _wsgi_handler(container: object) -> Any:
    return http_api_v2_handler(create_public_app(container))


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Serve one HTTP request; the app is built on the first request, then reused."""
    return _wsgi_handler(current())(event, context)
