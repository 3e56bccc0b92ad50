"""A real boto3 client whose requests a fake answers: the code's calls are validated, serialised
and signed, and the answers parsed, by botocore as on AWS (that CPU is the function's, and is
charged); only the sending is replaced, at botocore's before-send event. Nothing is patched.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError
from moto.core.botocore_stubber import MockRawResponse
from moto.core.models import botocore_stubber

from .simtime import SimTime

Handler = Callable[..., dict[str, Any]]


def serve(client: Any, sim: SimTime, handlers: dict[str, Handler]) -> Any:
    """Have `handlers` (operation name -> fake method taking the request's members) answer
    `client`'s calls of those operations; return the client."""
    client.meta.events.unregister("before-send", botocore_stubber)  # moto never sees them
    service = client.meta.service_model.service_id.hyphenize()
    for operation, handler in handlers.items():
        client.meta.events.register(
            f"before-send.{service}.{operation}", _answer(sim, handler), unique_id=operation
        )
    return client


def _answer(sim: SimTime, handler: Handler) -> Callable[..., AWSResponse]:
    def answer(request: Any, **_: Any) -> AWSResponse:
        sim.pause_charge()  # the fake's own work is not the function's
        try:
            members = json.loads(request.body or b"{}")
            try:
                body, status, headers = handler(**members), 200, {}
            except ClientError as exc:
                error = exc.response["Error"]
                body = {"__type": error["Code"], "message": error.get("Message", "")}
                status, headers = 400, {"x-amzn-ErrorType": error["Code"]}
            return AWSResponse(
                request.url, status, headers, MockRawResponse(json.dumps(body).encode())
            )
        finally:
            sim.resume_charge()

    return answer


def raw_data(content: dict[str, Any]) -> bytes:
    """The raw MIME of an SES v2 SendEmail request's Content, as it went over the wire."""
    return base64.b64decode(content["Raw"]["Data"])
