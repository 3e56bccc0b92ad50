"""Lambda's side of a handler test: recorded events (tests/events/*.json) and a context."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ACCOUNT = "123456789012"
REGION = "eu-west-2"
EVENTS = Path(__file__).resolve().parents[1] / "events"


def load_event(name: str) -> dict[str, Any]:
    """A recorded event by file name, without .json; each call returns a fresh copy."""
    return json.loads((EVENTS / f"{name.removesuffix('.json')}.json").read_text())


@dataclass
class LambdaContext:
    """The attributes Powertools and the handlers read from a Lambda context."""

    function_name: str = "DigestSenderFunction"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:DigestSender"
    aws_request_id: str = "0f1e2d3c-test"
    remaining_ms: int = 30_000

    def get_remaining_time_in_millis(self) -> int:
        """What the handlers' time_left reads."""
        return self.remaining_ms
