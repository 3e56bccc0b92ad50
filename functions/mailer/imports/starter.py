"""Starting a batch's run: on AWS the import function runs it (invoked asynchronously, so the
console answers at once, and it re-invokes itself for the rest of a long list); on the local
stack and in tests it runs in this process. Starting twice is harmless: a page is recorded
once, and a finished run is left alone."""

from __future__ import annotations

import json
from typing import Any

from mailer.aws.translate import aws_errors

from .batch import Mode
from .runner import Importer


def import_event(batch_id: str, mode: Mode) -> dict[str, str]:
    """The import function's event for one run of one batch."""
    return {"batch": batch_id, "mode": mode.value}


class LambdaImportStarter:
    """Invokes the import function asynchronously."""

    def __init__(self, lambda_client: Any, function_name: str) -> None:
        self._client = lambda_client
        self._function = function_name

    def start(self, batch_id: str, mode: Mode) -> None:
        """Hand the run to the import function."""
        with aws_errors("starting the import"):
            self._client.invoke(
                FunctionName=self._function,
                InvocationType="Event",
                Payload=json.dumps(import_event(batch_id, mode)).encode(),
            )


class InProcessImportStarter:
    """Runs the whole run here (the local stack has no import function)."""

    def __init__(self, importer: Importer) -> None:
        self._importer = importer

    def start(self, batch_id: str, mode: Mode) -> None:
        """Run it to the end in this process."""
        self._importer.run(batch_id, mode)
