"""List imports for tests: a batch declared and its file uploaded, as the console does."""

from __future__ import annotations

from typing import Any

from mailer.container import Container
from mailer.imports.batch import Batch

HEADER = "email,group,topics,name,organisation,consented_at,source\n"


def uploaded(
    container: Container,
    body: bytes | str,
    basis: str = "consent",
    source: str = "Sign-up sheets from our 2026 spring conference, consent box ticked",
    **terms: Any,
) -> Batch:
    """A declared batch with its file in the bucket."""
    batch = container.importer.declare(
        source=source, basis=basis, created_by="dpo@charity.example.org", **terms
    )
    data = body.encode("utf-8") if isinstance(body, str) else body
    container.list_files.put(batch.object_key, data)
    return batch
