"""The sending engine's settings: one `EngineConfig`, with the defaults the template's sizing
assumes, shared by the composer, the campaign's book and the sender.

The timing constants mirror infra/template.yaml (a test keeps them in step): the send queue's
visibility timeout and redrive limit, and the sender function's timeout.
"""

from __future__ import annotations

from dataclasses import dataclass

from mailer.emails.mime import Identity

VISIBILITY_TIMEOUT = 180
SENDER_TIMEOUT = 30
MAX_RECEIVES = 5
# A claim older than this belongs to a sender that is dead: Lambda stops a sender after
# SENDER_TIMEOUT, and the record comes back VISIBILITY_TIMEOUT after it was received, so by the
# time a redelivery arrives the lease has always run out.
CLAIM_LEASE = VISIBILITY_TIMEOUT - SENDER_TIMEOUT
# A pause or cancel reaches every warm sender within this many seconds.
CONTROL_TTL = 2.0
START_MARGIN = 5.0  # seconds: with less time left, leave the record for the next invocation
CONTENT_CACHE = 8  # campaigns whose record and content a warm sender keeps
MESSAGE_TEMPLATES = 512  # variants' message templates a warm sender keeps (as the renderer)


@dataclass(frozen=True)
class EngineConfig:
    """Who the emails come from, where their links lead, and how the engine paces its work."""

    sender: Identity
    site_url: str
    send_empty: bool = False  # a nothing-new note to those with nothing relevant (else skip)
    control_ttl: float = CONTROL_TTL
    start_margin: float = START_MARGIN
    max_receives: int = MAX_RECEIVES
    content_cache: int = CONTENT_CACHE
    message_templates: int = MESSAGE_TEMPLATES
