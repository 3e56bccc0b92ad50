"""Wires the campaign pipeline (planner, sender, bounce handler) from Services, once per process.

The Lambda handlers and the `mailer digest` commands build the same objects here, so what runs
in process on the local stack is what runs on AWS. Clock and sleep are injectable for tests.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import cached_property

from mailer.campaigns.ledger import Ledger
from mailer.campaigns.model import CampaignStore
from mailer.campaigns.pacing import Backoff, TokenBucket
from mailer.campaigns.planner import Planner
from mailer.campaigns.sender import CLAIM_LEASE, Sender
from mailer.catalogue.schema import Resource
from mailer.container import Services
from mailer.subscribers.bounces import BounceHandler
from mailer.subscribers.links import Links
from mailer.subscribers.store import SubscriberStore
from mailer.subscribers.tokens import Tokens


class Pipeline:
    """The campaign pipeline's collaborators, each built on first use."""

    def __init__(
        self,
        services: Services,
        *,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.services = services
        self.settings = services.settings
        self._clock = clock
        self._monotonic = monotonic
        self._sleep = sleep

    def resources(self) -> list[Resource]:
        """The run-time catalogue (what staff published, including console additions)."""
        return self.services.catalogue_store.resources(self.services.vocabulary)

    @cached_property
    def subscribers(self) -> SubscriberStore:
        """The subscriber store."""
        return SubscriberStore(self.services.table(self.settings.subscribers_table), self._clock)

    @cached_property
    def campaigns(self) -> CampaignStore:
        """Campaign records and planner checkpoints."""
        table = self.services.table(self.settings.campaigns_table)
        return CampaignStore(table, self._clock, self._sleep)

    @cached_property
    def ledger(self) -> Ledger:
        """The send ledger."""
        table = self.services.table(self.settings.campaigns_table)
        return Ledger(table, CLAIM_LEASE, self._clock, self._sleep)

    @cached_property
    def links(self) -> Links:
        """Signed links for emails (the key comes from SSM on AWS)."""
        return Links(self.settings.site_url, Tokens(self.services.clients.secret_key))

    @cached_property
    def planner(self) -> Planner:
        """The planner."""
        return Planner(
            campaigns=self.campaigns,
            subscribers=self.subscribers,
            sqs=self.services.clients.sqs,
            queue_url=self.settings.send_queue_url,
            vocabulary=self.services.vocabulary,
            load_resources=self.resources,
            sleep=self._sleep,
        )

    @cached_property
    def sender(self) -> Sender:
        """A sender pacing itself at its share of the account's SES rate."""
        return Sender(
            settings=self.settings,
            campaigns=self.campaigns,
            ledger=self.ledger,
            subscribers=self.subscribers,
            load_resources=self.resources,
            vocabulary=self.services.vocabulary,
            renderer=self.services.renderer,
            links=self.links,
            sesv2=self.services.clients.sesv2_send,
            bucket=TokenBucket.for_sender(
                self.settings.max_send_rate,
                self.settings.sender_concurrency,
                self._monotonic,
                self._sleep,
            ),
            backoff=Backoff(sleep=self._sleep),
            clock=self._clock,
        )

    @cached_property
    def bounces(self) -> BounceHandler:
        """The SES bounce and complaint handler."""
        return BounceHandler(
            self.subscribers,
            self.services.table(self.settings.campaigns_table),
            configuration_set=self.settings.configuration_set,
            clock=self._clock,
        )
