"""Templates' compiled code kept for the process: the local stack and the tests build many apps
and renderers, and each new Jinja environment would otherwise parse and compile every template
again (a sixth of a component test's time)."""

from __future__ import annotations

from threading import Lock

from jinja2 import BytecodeCache
from jinja2.bccache import Bucket


class ProcessBytecodeCache(BytecodeCache):
    """Jinja's bytecode cache in this process's memory, for environments configured alike (the
    key is the template's name and source, not the environment's options)."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}
        self._lock = Lock()

    def load_bytecode(self, bucket: Bucket) -> None:
        """Fill the bucket from a compile of the same source earlier in this process."""
        with self._lock:
            code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        """Keep a fresh compile for the next environment that loads the template."""
        code = bucket.bytecode_to_string()
        with self._lock:
            self._code[bucket.key] = code
