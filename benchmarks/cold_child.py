"""One function's cold start in a process of its own (benchmarks/cold_start.py runs it): the CPU
time of importing the handler's module, then of its first event (or of building what that event
uses), written as JSON to the file named last.

Usage: python -m benchmarks.cold_child MODULE EVENT_JSON_OR_BUILD FUNCTION_NAME OUT_FILE

EVENT_JSON_OR_BUILD is a file holding the event, or `build:attr,attr` to build those attributes
of the container instead. Nothing is imported before the handler's module but what the
interpreter itself loads, so the import is measured from cold.
"""

from __future__ import annotations

import importlib
import os
import sys
import time


class Context:
    """The attributes Powertools and the handlers read from a Lambda context."""

    def __init__(self, function_name: str) -> None:
        self.function_name = function_name
        self.memory_limit_in_mb = 512
        self.invoked_function_arn = (
            f"arn:aws:lambda:eu-west-2:123456789012:function:{function_name}"
        )
        self.aws_request_id = "cold-start-benchmark"

    def get_remaining_time_in_millis(self) -> int:
        """What the handlers' time_left reads: a fresh invocation's whole Timeout."""
        return int(os.environ["COLD_START_TIMEOUT_MS"])


def main(argv: list[str]) -> None:
    """Import, run the first event, write {"import": s, "first": s, "outcome": ...}."""
    module_name, first, function_name, out = argv
    started = time.process_time()  # this process's CPU, all threads, user and system
    module = importlib.import_module(module_name)
    imported = time.process_time()
    import json  # after the measured import: the handlers import it anyway

    if first.startswith("build:"):
        from mailer.container import current

        container = current()
        for attribute in first.removeprefix("build:").split(","):
            getattr(container, attribute)
        outcome: object = f"built {first.removeprefix('build:')}"
    else:
        with open(first, encoding="utf-8") as file:
            event = json.load(file)
        answer = module.lambda_handler(event, Context(function_name))
        outcome = answer.get("statusCode", answer) if isinstance(answer, dict) else answer
    done = time.process_time()
    with open(out, "w", encoding="utf-8") as file:
        json.dump(
            {
                "import": imported - started,
                "first": done - imported,
                "outcome": str(outcome)[:200],
                "modules": len(sys.modules),
            },
            file,
        )


if __name__ == "__main__":
    main(sys.argv[1:])
