"""moto's DynamoDB answers, serialised in a fraction of the time and to the same JSON (tests,
the local stack and the benchmarks: provision.py installs it).

moto (5.2) serialises every response by walking botocore's shapes, asking an attribute picker
for each of the ten members an AttributeValue may have, for every attribute of every item: most
of a console test's time went there (a scan of the catalogue is tens of milliseconds), and a
third of the quota benchmark's. An AttributeValue is already the wire's own shape once moto has
turned its items into dicts, so it is written out directly here; everything else (keys,
counts, errors, other services) takes moto's own path. `FAST_MOTO_CHECK=1` serialises each
answer both ways and fails on any difference, to show the two agree on what the suite does.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Callable
from typing import Any

CHECK = "FAST_MOTO_CHECK"  # "1": serialise each answer both ways and fail on a difference
_SCALARS = {"S", "N"}  # strings on the wire; moto's string serialiser applies str()
_STRING_SETS = {"SS", "NS"}
_FLAGS = {"BOOL", "NULL"}


class _NotPlain(Exception):
    """An AttributeValue this module does not write the way moto would: moto writes it."""


def _blob(value: str | bytes) -> str:
    """A binary value as moto's serialiser writes it (base64 of the bytes, or of the text)."""
    raw = value.encode("utf-8") if isinstance(value, str) else value
    return base64.b64encode(raw).strip().decode("utf-8")


def plain(value: Any) -> dict[str, Any]:
    """The JSON moto would write for one AttributeValue dict; _NotPlain if unsure."""
    if not isinstance(value, dict):
        raise _NotPlain
    out: dict[str, Any] = {}
    for key, member in value.items():
        if member is None:  # moto leaves a missing member out
            continue
        if key in _SCALARS:
            out[key] = str(member)
        elif key in _STRING_SETS:
            out[key] = [str(item) for item in member]
        elif key in _FLAGS:
            out[key] = member
        elif key == "B":
            out[key] = _blob(member)
        elif key == "BS":
            out[key] = [_blob(item) for item in member]
        elif key == "M":
            out[key] = {name: plain(item) for name, item in member.items()}
        elif key == "L":
            out[key] = [plain(item) for item in member]
        else:
            raise _NotPlain
    return out


def install() -> None:
    """Serialise DynamoDB's AttributeValues directly from now on, in this process."""
    from moto.core import serialize

    original: Callable[..., None] = serialize.BaseJSONSerializer._serialize_type_structure
    if getattr(original, "fast_moto", False):
        return

    def structure(self: Any, serialized: Any, value: Any, shape: Any, key: str) -> None:
        if shape.name != "AttributeValue" or not key or value is None:
            return original(self, serialized, value, shape, key)
        try:
            written = plain(value)
        except _NotPlain:
            return original(self, serialized, value, shape, key)
        name = self.get_serialized_name(shape, key)
        if os.environ.get(CHECK) == "1":  # read per answer, so a test can turn it on
            expected: dict[str, Any] = {}
            original(self, expected, value, shape, key)
            assert expected == {name: written}, (expected, written)
        serialized[name] = written
        return None

    structure.fast_moto = True  # type: ignore[attr-defined]
    serialize.BaseJSONSerializer._serialize_type_structure = structure  # type: ignore[method-assign]
