"""Wires the core pieces together once per process; the web app, CLI and handlers share it."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from mailer.aws.clients import Clients
from mailer.catalogue.schema import Catalogue, Vocabulary
from mailer.catalogue.store import CatalogueStore
from mailer.emails.render import EmailRenderer
from mailer.paths import catalogue_dir, email_templates_dir
from mailer.settings import Settings
from mailer.subscribers.lifecycle import Subscriptions
from mailer.subscribers.links import Links
from mailer.subscribers.notices import TransactionalMailer
from mailer.subscribers.ratelimit import RateLimiter
from mailer.subscribers.store import SubscriberStore
from mailer.subscribers.tokens import Tokens


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

    @cached_property
    def tokens(self) -> Tokens:
        """Signed, purpose-bound tokens."""
        return Tokens(self.clients.secret_key)

    @cached_property
    def links(self) -> Links:
        """Signed links for emails."""
        return Links(self.settings.site_url, self.tokens)

    @cached_property
    def subscriber_store(self) -> SubscriberStore:
        """Subscribers and suppressions in DynamoDB."""
        return SubscriberStore(self.table(self.settings.subscribers_table))

    @cached_property
    def transactional(self) -> TransactionalMailer:
        """One-off emails (confirm, manage, preferences changed)."""
        return TransactionalMailer(self.settings, self.clients.sesv2_send, self.renderer)

    @cached_property
    def subscriptions(self) -> Subscriptions:
        """The subscription life cycle."""
        return Subscriptions(
            self.subscriber_store,
            RateLimiter(self.table(self.settings.subscribers_table)),
            self.transactional,
            self.links,
            self.vocabulary,
            self.settings.organisation_name,
        )

    def table(self, name: str) -> Any:
        """A DynamoDB table by name."""
        return self.clients.dynamodb.Table(name)
