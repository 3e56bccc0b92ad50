"""Progress while a command waits on sending: a bar on a terminal (sent of planned, rate, time
left), and a plain line a minute otherwise (a log, a CI job), so neither floods nor goes quiet."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any, TextIO

import click

LINE_EVERY = 60.0  # seconds between lines when not on a terminal


class Progress:
    """Counts sends against the number planned; use as a context manager, call `advance`.

    `planned` is shown as it is: 0 is "0 of 0, nothing to send", never a bar waiting for one.
    """

    def __init__(
        self,
        planned: int,
        label: str = "Sending",
        *,
        file: TextIO | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.planned = planned
        self.done = 0
        self._label = label
        self._file = file or sys.stderr
        self._clock = clock
        self._started = self._last_line = clock()
        self._bar: Any = None

    def __enter__(self) -> Progress:
        if self._file.isatty() and self.planned:
            self._bar = click.progressbar(
                length=self.planned,
                label=self._label,
                file=self._file,
                show_eta=True,
                show_pos=True,
                item_show_func=lambda _: self.rate_text(),
            ).__enter__()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._bar is not None:
            self._bar.__exit__(kind, error, trace)
        elif kind is None:
            self._line()

    def rate_text(self) -> str:
        """'12.5/s, about 3 min left' from what was sent so far."""
        elapsed = max(self._clock() - self._started, 1e-9)
        rate = self.done / elapsed
        left = (self.planned - self.done) / rate if rate else 0.0
        minutes = "under a minute" if left < 60 else f"about {round(left / 60)} min"
        return f"{rate:.1f}/s, {minutes} left"

    def advance(self, count: int = 1) -> None:
        """Count `count` more recipients done (sent, skipped or failed)."""
        self.done += count
        if self._bar is not None:
            self._bar.update(count, current_item=None)
        elif self._clock() - self._last_line >= LINE_EVERY:
            self._line()

    def _line(self) -> None:
        self._last_line = self._clock()
        so_far = f"{self._label}: {self.done} of {self.planned}"
        if not self.planned and not self.done:  # no rate nor time left to tell of nothing
            click.echo(f"{so_far}, nothing to send.", file=self._file)
        else:
            click.echo(f"{so_far}, {self.rate_text()}", file=self._file)
