"""The web handler made deliberately slow, for the cold-start benchmark's test: importing it
burns a second of CPU more than the real one, as a heavy module imported at the top would."""

from __future__ import annotations

import time

from handlers.web import lambda_handler

__all__ = ["lambda_handler"]

_until = time.process_time() + 1.0
while time.process_time() < _until:
    pass
