"""moto's state as bytes: the local stack saves it on stop and restores it on start (moto's
server keeps nothing on disk), and the tests restore a freshly provisioned one for every test.

What is saved is moto's own backends, pickled whole: every table, queue, bucket, sent email and
user pool exactly as moto holds them. Locks are saved as new, unheld locks; a user pool's signing
key as its JWK, since the key object itself cannot be pickled. A file written by another moto
version may not load: the stack then says so and starts empty.
"""

from __future__ import annotations

import io
import pickle  # our own file, written by this code on this machine (see below)
import threading
from pathlib import Path
from typing import Any

from joserfc import jwk
from moto.backends import get_backend
from moto.core.base_backend import BackendDict

# (service, account, region) -> moto's backend for it
Backends = dict[tuple[str, str, str], Any]

_LOCKS = {
    type(threading.Lock()): threading.Lock,
    type(threading.RLock()): threading.RLock,
    threading.Condition: threading.Condition,
}


class _Pickler(pickle.Pickler):
    """Pickles moto's backends: registries by name, locks fresh, signing keys as JWKs."""

    def persistent_id(self, obj: Any) -> str | None:
        """moto's registry of a service is moto's own, named, never a copy."""
        return obj.service_name if isinstance(obj, BackendDict) else None

    def reducer_override(self, obj: Any) -> Any:
        """A new lock for a lock (none is held while moto is idle), a key from its JWK."""
        make = _LOCKS.get(type(obj))
        if make is not None:
            return make, ()
        if isinstance(obj, jwk.RSAKey):
            return jwk.RSAKey.import_key, (obj.as_dict(private=True),)
        return NotImplemented


class _Unpickler(pickle.Unpickler):
    def persistent_load(self, pid: Any) -> Any:
        return get_backend(str(pid))


def current() -> Backends:
    """Every backend moto holds now."""
    return {
        (service.service_name, account, region): backend
        for service in BackendDict._instances
        for account, regions in service.items()
        for region, backend in regions.items()
    }


def dump(backends: Backends) -> bytes:
    """The backends as bytes, in one piece so backends that refer to each other still do (SES v2
    sends through SES's)."""
    buffer = io.BytesIO()
    _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(backends)
    return buffer.getvalue()


def load(data: bytes) -> None:
    """Put the dumped backends in moto's place (others are left as they are)."""
    backends: Backends = _Unpickler(io.BytesIO(data)).load()
    for (service, account, region), backend in backends.items():
        get_backend(service)[account][region] = backend  # type: ignore[index]


def save(path: Path) -> int:
    """Write moto's state to `path` (atomically); returns the bytes written."""
    data = dump(current())
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.write_bytes(data)
    partial.replace(path)
    return len(data)


def restore(path: Path) -> bool:
    """Load moto's state from `path`; False if there is none. Raises what a bad file raises."""
    if not path.exists():
        return False
    load(path.read_bytes())
    return True
