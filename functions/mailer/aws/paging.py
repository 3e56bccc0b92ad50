"""Every item of a paged DynamoDB Query or Scan: the one loop over LastEvaluatedKey, with the
invocation's time checked before each page."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from mailer.errors import OutOfTimeError

from .translate import aws_errors


def paged_items(
    call: Callable[..., Any],
    action: str,
    *,
    time_left: Callable[[], float] | None = None,
    margin: float = 0.0,
    **request: Any,
) -> Iterator[dict[str, Any]]:
    """Yield the items of `call` (a table's query or scan) page by page; OutOfTimeError before a
    page once less than `margin` seconds are left, rather than be killed mid-page."""
    while True:
        if time_left is not None and time_left() < margin:
            raise OutOfTimeError(f"too little time left: {action}")
        with aws_errors(action):
            page = call(**request)
        yield from page["Items"]
        if "LastEvaluatedKey" not in page:
            return
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
