"""Shared fixtures for the unit tests: the real catalogue, its vocabulary and an email renderer.

Test modules get these only as fixtures (never `from conftest import ...`), so this file can
live alongside a top-level tests/conftest.py without a module-name clash.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mailer.catalogue.schema import Catalogue, Resource, Vocabulary
from mailer.emails.render import EmailRenderer

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository root, whatever directory pytest was started from."""
    return REPO_ROOT


@pytest.fixture(scope="session")
def catalogue_dir() -> Path:
    """The real catalogue/ directory."""
    return REPO_ROOT / "catalogue"


@pytest.fixture(scope="session")
def real_catalogue(catalogue_dir: Path) -> Catalogue:
    """The catalogue shipped in the repository."""
    return Catalogue.load(catalogue_dir)


@pytest.fixture(scope="session")
def vocabulary(real_catalogue: Catalogue) -> Vocabulary:
    """The real controlled vocabularies."""
    return real_catalogue.vocabulary


@pytest.fixture(scope="session")
def site_url() -> str:
    """The site URL every rendered email links to."""
    return "https://example.org"


@pytest.fixture(scope="session")
def base_context(site_url: str) -> dict[str, str]:
    """What every email template gets besides its own context."""
    return {
        "site_url": site_url,
        "charity_name": "Anti-Slavery International",
        "charity_address": "1 Street, London",
    }


@pytest.fixture
def renderer(base_context: dict[str, str]) -> EmailRenderer:
    """A fresh renderer (empty cache, compiles == 0) over the real templates."""
    return EmailRenderer(REPO_ROOT / "templates" / "email", base_context)


@pytest.fixture(scope="session")
def make_resource(vocabulary: Vocabulary) -> Callable[..., Resource]:
    """Factory for valid resources: make_resource(id="x", topics=["housing"], added=date)."""

    def make(**overrides: Any) -> Resource:
        data: dict[str, Any] = {
            "id": "test-resource",
            "title": "A test resource",
            "summary": "A summary long enough to pass the catalogue's minimum length.",
            "url": "",
            "published": "",
            "type": "briefing",
            "publisher": "ATMG",
            "audiences": ["individuals"],
            "topics": ["survivor-support"],
            "added": dt.date(2026, 1, 15),
        }
        data.update(overrides)
        return Resource.model_validate(data, context={"vocabulary": vocabulary})

    return make
