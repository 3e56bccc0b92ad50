"""What the import function does with an event: run one batch's run until done or time is
short, then hand the rest to a fresh invocation (the checkpoint says where it resumes)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from .batch import ImportRefusedError, Mode
from .runner import Importer, ImportStarter

logger = logging.getLogger(__name__)


def handle(
    importer: Importer,
    starter: ImportStarter,
    event: Any,
    time_left: Callable[[], float] | None = None,
) -> dict[str, Any]:
    """Run the event's batch; a malformed event is rejected (retrying it cannot help)."""
    try:
        batch_id, mode = str(event["batch"]), Mode(event["mode"])
    except (KeyError, TypeError, ValueError):
        logger.error("rejected an import event")
        return {"status": "rejected"}
    try:
        progress = importer.run(batch_id, mode, time_left)
    except ImportRefusedError as exc:
        logger.error("refused an import: %s", exc)
        return {"status": "refused", "error": str(exc)}
    # Other domain errors (storage) raise: Lambda retries, and the run resumes from its checkpoint.
    run = progress.batch.run(mode)
    if progress.more:
        starter.start(batch_id, mode)
    return {"status": "continued" if progress.more else run.state.value, "rows": run.rows}
