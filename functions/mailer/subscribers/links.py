"""The signed links every email carries: confirm, manage preferences, one-click unsubscribe."""

from __future__ import annotations

from .model import Subscriber
from .tokens import Purpose, Tokens


class Links:
    """Builds absolute links for one site; each holds a token for exactly one purpose, carrying
    the subscriber's current link id (so rotating it revokes every earlier link)."""

    def __init__(self, site_url: str, tokens: Tokens) -> None:
        self._site = site_url.rstrip("/")
        self._tokens = tokens

    def confirm(self, subscriber: Subscriber) -> str:
        """The page whose button confirms a subscription (a GET of it changes nothing)."""
        return f"{self._site}/confirm/{self._tokens.make(Purpose.CONFIRM, subscriber.link_id)}"

    def manage(self, subscriber: Subscriber) -> str:
        """The preferences page: change group and topics, export, erase, unsubscribe."""
        token = self._tokens.make(Purpose.MANAGE, subscriber.link_id)
        return f"{self._site}/preferences/{token}"

    def unsubscribe(self, subscriber: Subscriber) -> str:
        """The List-Unsubscribe URL: RFC 8058 one-click POST, or a GET that shows a button."""
        token = self._tokens.make(Purpose.UNSUBSCRIBE, subscriber.link_id)
        return f"{self._site}/unsubscribe/{token}"
