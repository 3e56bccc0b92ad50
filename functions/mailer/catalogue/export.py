"""Writes the run-time catalogue back as files in the catalogue/ format, so that resources
staff added or edited in the console can be committed to the repository."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import yaml

from .schema import Resource


def write_resource_files(resources: Iterable[Resource], folder: Path) -> list[Path]:
    """Write one <id>.yaml per resource into folder (created if need be); return the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for resource in sorted(resources, key=lambda r: r.id):
        path = folder / f"{resource.id}.yaml"
        text = yaml.safe_dump(resource.to_item(), sort_keys=False, allow_unicode=True, width=100)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
