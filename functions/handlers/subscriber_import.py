"""Lambda entry point for list imports: one run of one batch, handed on before time runs out."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from mailer.container import current
from mailer.imports.handler import handle

from . import time_left

logger = Logger()


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Run the batch the event names; the rest of a long list goes to a fresh invocation."""
    container = current()
    return handle(container.importer, container.import_starter, event, time_left(context))
