"""Wires the core pieces together once per process; the web app, CLI and handlers share it."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from .aws import Clients
from .catalogue import Catalogue, Vocabulary
from .catalogue_store import CatalogueStore
from .paths import catalogue_dir, email_templates_dir
from .render import EmailRenderer
from .settings import Settings


class Services:
    """Lazily built collaborators for one process: nothing touches AWS until first use."""

    def __init__(self, settings: Settings, clients: Clients | None = None) -> None:
        self.settings = settings
        self.clients = clients or Clients(settings)

    @cached_property
    def vocabulary(self) -> Vocabulary:
        """The controlled vocabularies shipped with the code."""
        return Vocabulary.load(catalogue_dir() / "vocabulary.yaml")

    def catalogue_files(self) -> Catalogue:
        """The catalogue as the files in catalogue/ define it (validated)."""
        return Catalogue.load(catalogue_dir())

    @cached_property
    def catalogue_store(self) -> CatalogueStore:
        """The run-time catalogue in DynamoDB."""
        return CatalogueStore(self.table(self.settings.catalogue_table))

    @cached_property
    def renderer(self) -> EmailRenderer:
        """The email renderer, with its cache of compiled variants."""
        return EmailRenderer(
            email_templates_dir(),
            {
                "site_url": self.settings.site_url,
                "charity_name": self.settings.organisation_name,
                "charity_address": self.settings.postal_address,
            },
        )

    def table(self, name: str) -> Any:
        """A DynamoDB table by name."""
        return self.clients.dynamodb.Table(name)
