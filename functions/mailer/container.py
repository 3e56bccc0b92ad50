"""The one object graph a process uses, built lazily: the web app, the CLI and every Lambda
handler reach the same pieces through it, so what runs locally is what runs on AWS.

Nothing touches AWS until first use. The clock, the monotonic clock, sleep and the data root
(where templates/email and catalogue/ live) are injected once here and handed to everything
that tells time or waits, so tests control time without patching global modules.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from functools import cached_property
from pathlib import Path
from typing import Any

from mailer.aws.clients import Clients
from mailer.aws.retry import Backoff
from mailer.aws.ses import SesAdapter
from mailer.campaigns.ledger import Ledger
from mailer.campaigns.pacing import TokenBucket
from mailer.campaigns.planner import PAGE_SIZE, Planner
from mailer.campaigns.queue import drained
from mailer.campaigns.sender import CLAIM_LEASE, Sender, SenderConfig
from mailer.campaigns.store import CampaignStore, SesEventMarkers
from mailer.campaigns.workers import Concurrently, ThreadPool
from mailer.catalogue.schema import Catalogue, Resource, Vocabulary
from mailer.catalogue.store import CatalogueStore
from mailer.emails.mime import Identity
from mailer.emails.render import EmailRenderer
from mailer.paths import project_root
from mailer.settings import Settings
from mailer.subscribers.bounces import BounceHandler
from mailer.subscribers.lifecycle import Subscriptions
from mailer.subscribers.links import Links
from mailer.subscribers.notices import Notices
from mailer.subscribers.ratelimit import RateLimiter
from mailer.subscribers.store import SubscriberStore
from mailer.subscribers.tokens import Tokens

# One-off notices answer a person waiting on a page: a few short retries, then give up.
NOTICE_BACKOFF = Backoff(attempts=4, base=0.4)


class Container:
    """Every collaborator of one process, each built on first use and then shared."""

    def __init__(
        self,
        settings: Settings,
        clients: Clients | None = None,
        *,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        data_root: Path | None = None,
        page_size: int = PAGE_SIZE,
        concurrently: Concurrently[Any] | None = None,
    ) -> None:
        """`page_size`: subscribers the planner queues per checkpoint; `concurrently`: how a
        sender runs a batch's records at once (default: SENDER_THREADS threads)."""
        self.settings = settings
        self.clients = clients or Clients(settings)
        self.clock = clock
        self.monotonic = monotonic
        self.sleep = sleep
        self.data_root = data_root or project_root()
        self.page_size = page_size
        self.concurrently = concurrently or ThreadPool(settings.sender_threads)

    # --- catalogue ------------------------------------------------------------------------

    @property
    def catalogue_dir(self) -> Path:
        """The catalogue/ folder: vocabulary.yaml and resources/."""
        return self.data_root / "catalogue"

    @cached_property
    def vocabulary(self) -> Vocabulary:
        """The controlled vocabularies shipped with the code."""
        return Vocabulary.load(self.catalogue_dir / "vocabulary.yaml")

    def catalogue_files(self) -> Catalogue:
        """The catalogue as the files in catalogue/ define it (validated)."""
        return Catalogue.load(self.catalogue_dir)

    @cached_property
    def catalogue_store(self) -> CatalogueStore:
        """The run-time catalogue in DynamoDB."""
        return CatalogueStore(self.table(self.settings.catalogue_table))

    def resources(self) -> list[Resource]:
        """The run-time catalogue (what staff published, including console additions)."""
        return self.catalogue_store.resources(self.vocabulary)

    # --- emails -----------------------------------------------------------------------------

    @cached_property
    def renderer(self) -> EmailRenderer:
        """The email renderer, with its cache of compiled variants."""
        return EmailRenderer(
            self.data_root / "templates" / "email",
            {
                "site_url": self.settings.site_url,
                "charity_name": self.settings.organisation_name,
                "charity_address": self.settings.postal_address,
            },
        )

    @cached_property
    def identity(self) -> Identity:
        """Who every email comes from."""
        return Identity(self.settings.sender_address, self.settings.organisation_name)

    def ses(self, backoff: Backoff) -> SesAdapter:
        """The SES adapter with a retry policy (notices and campaigns retry differently)."""
        return SesAdapter(
            self.clients.sesv2_send,
            from_address=self.settings.sender_address,
            configuration_set=self.settings.configuration_set,
            backoff=backoff,
        )

    # --- subscribers ------------------------------------------------------------------------

    @cached_property
    def tokens(self) -> Tokens:
        """Signed, purpose-bound, expiring tokens, timed by the container's clock."""
        return Tokens(self.clients.secret_key, self.clock)

    @cached_property
    def links(self) -> Links:
        """Absolute confirm, manage and unsubscribe links for emails."""
        return Links(self.settings.site_url, self.tokens)

    @cached_property
    def subscriber_store(self) -> SubscriberStore:
        """Subscribers and suppressions in DynamoDB."""
        return SubscriberStore(self.table(self.settings.subscribers_table), self.clock)

    @cached_property
    def notices(self) -> Notices:
        """One-off emails (confirm, manage, preferences changed)."""
        return Notices(
            renderer=self.renderer,
            ses=self.ses(replace(NOTICE_BACKOFF, sleep=self.sleep)),
            sender=self.identity,
            links=self.links,
            vocabulary=self.vocabulary,
            clock=self.clock,
        )

    @cached_property
    def subscriptions(self) -> Subscriptions:
        """Subscribe, confirm, preferences, unsubscribe, export and erase."""
        return Subscriptions(
            self.subscriber_store,
            RateLimiter(self.table(self.settings.subscribers_table), self.clock),
            self.notices,
            self.vocabulary,
            self.settings.organisation_name,
            self.clock,
        )

    @cached_property
    def bounces(self) -> BounceHandler:
        """The SES bounce and complaint handler."""
        return BounceHandler(
            self.subscriber_store,
            SesEventMarkers(self.table(self.settings.campaigns_table), self.clock),
            configuration_set=self.settings.configuration_set,
        )

    # --- campaigns --------------------------------------------------------------------------

    @cached_property
    def campaigns(self) -> CampaignStore:
        """Campaign records and planner checkpoints."""
        return CampaignStore(self.table(self.settings.campaigns_table), self.clock, self.sleep)

    @cached_property
    def ledger(self) -> Ledger:
        """Who has been sent what: one claim-then-outcome entry per subscriber and campaign."""
        return Ledger(
            self.table(self.settings.campaigns_table), CLAIM_LEASE, self.clock, self.sleep
        )

    @cached_property
    def planner(self) -> Planner:
        """The planner of digests and announcements."""
        return Planner(
            campaigns=self.campaigns,
            subscribers=self.subscriber_store,
            sqs=self.clients.sqs,
            queue_url=self.settings.send_queue_url,
            vocabulary=self.vocabulary,
            load_resources=self.resources,
            page_size=self.page_size,
            sleep=self.sleep,
        )

    @cached_property
    def sender(self) -> Sender:
        """A sender pacing itself at its share of the account's SES quota, read at cold start."""
        ses = self.ses(Backoff(sleep=self.sleep))
        quota = ses.max_send_rate(fallback=self.settings.max_send_rate)
        return Sender(
            config=SenderConfig(
                sender=self.identity,
                site_url=self.settings.site_url,
                send_empty=self.settings.digest_send_empty,
            ),
            campaigns=self.campaigns,
            ledger=self.ledger,
            subscribers=self.subscriber_store,
            load_resources=self.resources,
            vocabulary=self.vocabulary,
            renderer=self.renderer,
            links=self.links,
            ses=ses,
            bucket=TokenBucket.for_sender(
                quota,
                self.settings.send_rate_share,
                self.settings.sender_concurrency,
                self.monotonic,
                self.sleep,
            ),
            clock=self.clock,
            concurrently=self.concurrently,
            queue_drained=lambda: drained(self.clients.sqs, self.settings.send_queue_url),
        )

    def table(self, name: str) -> Any:
        """A DynamoDB table by name."""
        return self.clients.dynamodb.Table(name)


_current: Container | None = None


def current() -> Container:
    """This process's container, built from the environment on first use and then reused
    (a warm Lambda keeps it between invocations)."""
    global _current
    if _current is None:
        _current = Container(Settings.from_env())
    return _current


def install(container: Container | None) -> None:
    """Make `container` this process's container (tests, the local stack); None forgets it."""
    global _current
    _current = container
