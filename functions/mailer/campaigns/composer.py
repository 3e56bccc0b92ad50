"""The composer: what a campaign says to each group, and each recipient's email built from it.

A campaign's content (its variants, chosen from the catalogue) is worked out once per process and
kept; each variant's message template (the MIME around the body) is built on first use and kept.
Sending and previews compose through here, so a preview is the email a recipient gets, with links
that lead nowhere; composing calls no AWS.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from threading import Lock

from mailer.catalogue.schema import Resource, Vocabulary
from mailer.emails.mime import MessageTemplate
from mailer.emails.render import EmailRenderer, RenderedEmail
from mailer.emails.views import greeting
from mailer.subscribers.links import Links
from mailer.subscribers.model import Subscriber

from .engine import EngineConfig
from .model import Campaign
from .variants import CampaignContent, Variant


class Composer:
    """Builds campaign emails: content per campaign, a message template per variant."""

    def __init__(
        self,
        config: EngineConfig,
        *,
        vocabulary: Vocabulary,
        load_resources: Callable[[], Sequence[Resource]],
        renderer: EmailRenderer,
        links: Links,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """`load_resources`: the run-time catalogue, read when a campaign's content is first
        needed; `links`: the real confirm, manage and unsubscribe links."""
        self._config = config
        self._vocabulary = vocabulary
        self._load_resources = load_resources
        self._renderer = renderer
        self._links = links
        self._clock = clock
        self._lock = Lock()
        self._content: OrderedDict[str, CampaignContent] = OrderedDict()
        self._templates: OrderedDict[str, MessageTemplate] = OrderedDict()

    def content(self, campaign: Campaign) -> CampaignContent:
        """What `campaign` says to each group, from the run-time catalogue, kept for later
        records (a campaign's content never changes once it sends)."""
        with self._lock:
            content = self._content.get(campaign.id)
        if content is not None:
            return content
        # Worked out outside the lock (no thread waits on another's catalogue read); threads
        # that miss together each work it out once, and the first to finish is kept.
        content = self.variants(campaign, self._load_resources())
        with self._lock:
            content = self._content.setdefault(campaign.id, content)
            if len(self._content) > self._config.content_cache:
                self._content.popitem(last=False)
        return content

    def variants(self, campaign: Campaign, resources: Sequence[Resource]) -> CampaignContent:
        """What `campaign` says to each group, chosen from `resources` (previews pass theirs)."""
        return CampaignContent(
            campaign,
            resources,
            self._vocabulary,
            self._config.site_url,
            send_empty=self._config.send_empty,
        )

    def compose(
        self, subscriber: Subscriber, variant: Variant, links: Links | None = None
    ) -> tuple[RenderedEmail, bytes]:
        """One subscriber's email, rendered and built as raw MIME (a preview passes links that
        lead nowhere)."""
        links = links or self._links
        unsubscribe_url = links.unsubscribe(subscriber)
        recipient = {
            "greeting": greeting(subscriber.name),
            "manage_url": links.manage(subscriber),
            "unsubscribe_url": unsubscribe_url,
        }
        email = self._renderer.render(
            variant.template, variant.context, recipient, variant_key=variant.key
        )
        raw = self._template(email.subject).fill(
            email,
            to=subscriber.email,
            list_unsubscribe_url=unsubscribe_url,
            date=dt.datetime.fromtimestamp(self._clock(), dt.UTC),
        )
        return email, raw

    def _template(self, subject: str) -> MessageTemplate:
        """The message template for a variant's subject, built on first use and kept."""
        with self._lock:
            template = self._templates.get(subject)
            if template is None:
                template = MessageTemplate(
                    subject=subject,
                    sender=self._config.sender.address,
                    sender_name=self._config.sender.name,
                )
                self._templates[subject] = template
                if len(self._templates) > self._config.message_templates:
                    self._templates.popitem(last=False)
            else:
                self._templates.move_to_end(subject)
            return template
