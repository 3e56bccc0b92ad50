"""moto's state as a snapshot: the template's resources are made once a run, through the API as
the local stack makes them, and every test starts from a copy, as if freshly provisioned."""

from __future__ import annotations

import copy
import copyreg
import functools
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from moto.core.base_backend import BackendDict, BaseBackend
from moto.core.models import MockAWS


@contextmanager
def _locks_copied_fresh() -> Iterator[None]:
    """deepcopy gives each copy new, unheld locks (moto's SQS queues and S3 keys hold some);
    registered only while copying, so pickling elsewhere is untouched."""
    lock_types = (type(threading.Lock()), type(threading.RLock()), threading.Condition)
    makers = {lock_types[0]: threading.Lock, lock_types[1]: threading.RLock}
    makers[threading.Condition] = threading.Condition
    before = {t: copyreg.dispatch_table.get(t) for t in lock_types}
    for lock_type, make in makers.items():
        copyreg.pickle(lock_type, lambda _lock, make=make: (make, ()))
    try:
        yield
    finally:
        for lock_type, previous in before.items():
            if previous is None:
                copyreg.dispatch_table.pop(lock_type, None)
            else:
                copyreg.dispatch_table[lock_type] = previous


class MotoSnapshot:
    """Every region's backend that existed when taken, copied; `restore` puts copies back."""

    def __init__(self, backends: dict[tuple[BackendDict, str, str], BaseBackend]) -> None:
        self._backends = backends

    @classmethod
    def take(cls) -> MotoSnapshot:
        """Copy every backend moto holds now (call inside a mock with nothing else active)."""
        backends = {
            (service, account, region): backend
            for service in BackendDict._instances
            for account, regions in service.items()
            for region, backend in regions.items()
        }
        return cls(_copied(backends))

    def restore(self) -> None:
        """Replace moto's backends by fresh copies of the snapshot's (others stay as reset)."""
        for (service, account, region), backend in _copied(self._backends).items():
            # service[account] registers the service with moto again, so the mock's reset at
            # the end of the test clears it, as it clears any service a test touched.
            service[account][region] = backend


def _copied(
    backends: dict[tuple[BackendDict, str, str], BaseBackend],
) -> dict[tuple[BackendDict, str, str], BaseBackend]:
    """One deep copy of them all, so backends that refer to each other (SES v2 sends through
    SES's) still do; moto's registries of services are shared, never copied."""
    services = {service for service, _, _ in backends} | set(BackendDict._instances)
    memo: dict[int, Any] = {id(service): service for service in services}
    with _locks_copied_fresh():
        return copy.deepcopy(backends, memo)


def outermost_mock() -> bool:
    """Whether the mock just started is the only one (a module's own mock may be around it)."""
    return MockAWS._nested_count == 1


def share_cognito_signing_key() -> None:
    """Every moto user pool imports the same private key from moto's own JWKS file, which costs
    half a second (it recovers the RSA primes); import it once for the run instead."""
    from joserfc import jwk
    from moto.cognitoidp import models

    @functools.cache
    def imported(data: str) -> Any:
        return jwk.RSAKey.import_key(json.loads(data))

    class _SharedKeys:
        """moto's `jwk` as its user pools use it: RSAKey.import_key, remembered."""

        class RSAKey:
            @staticmethod
            def import_key(data: Any) -> Any:
                return imported(json.dumps(data, sort_keys=True))

    models.jwk = _SharedKeys  # type: ignore[assignment]
