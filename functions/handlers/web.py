"""Lambda entry point for the web app: API Gateway HTTP API (payload v2) to Flask via apig-wsgi."""

from __future__ import annotations

from typing import Any

from apig_wsgi import make_lambda_handler
from aws_lambda_powertools import Logger

from web import create_app

logger = Logger()
_handler: Any = None


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Serve one HTTP request; the app is built on the first request, then reused."""
    global _handler
    if _handler is None:
        _handler = make_lambda_handler(create_app(), binary_support=True)
    return _handler(event, context)
