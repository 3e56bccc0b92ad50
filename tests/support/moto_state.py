"""moto for tests: whether a test's mock is the only one, and one signing key for every pool
(the snapshot each test starts from is mailer.local.state's)."""

from __future__ import annotations

import functools
import json
from typing import Any

from moto.core.models import MockAWS


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
