"""The Lambda side of the web app: HTTP API payload 2.0 only, through apig-wsgi."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from apig_wsgi import make_lambda_handler
from flask import Flask

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


def http_api_v2_handler(app: Flask) -> Handler:
    """A Lambda handler for the app that refuses any event but an HTTP API payload 2.0.

    With payload 1.0, apig-wsgi takes the client address from X-Forwarded-For, which any
    client can set: rate limits keyed on it would be worthless. The template pins 2.0; this
    refuses anything else, should a route ever be added without it.
    """
    wsgi = make_lambda_handler(app, binary_support=True)

    def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
        if not isinstance(event, dict) or event.get("version") != "2.0":
            return {
                "statusCode": 400,
                "headers": {"content-type": "application/json"},
                "body": json.dumps({"error": "this API takes HTTP API payload version 2.0"}),
            }
        return wsgi(event, context)

    return handle
