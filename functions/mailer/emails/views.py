"""Builds the template contexts for each email from catalogue data (no rendering here)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from mailer.campaigns.selection import Period, Pick
from mailer.catalogue.schema import Resource, Vocabulary

NOTHING_NEW_INTRO = (
    "Nothing new this month on your topics. We will write again when there is; meanwhile "
    "every free resource is on our website."
)


def resource_view(
    resource: Resource, vocabulary: Vocabulary, site_url: str, is_new: bool = False
) -> dict[str, Any]:
    """A resource as the email templates show it: labels instead of slugs, a link always."""
    return {
        "id": resource.id,
        "title": resource.title,
        "summary": resource.summary,
        "publisher": resource.publisher,
        "type_label": vocabulary.types[resource.type],
        "published_label": resource.published_label,
        "topic_labels": [vocabulary.topics[t] for t in resource.topics],
        # Resources without a known address link to their page in our own catalogue.
        "link": resource.url or f"{site_url}/resources/{resource.id}",
        "is_new": is_new,
    }


def reason_line(vocabulary: Vocabulary, audience: str, topics: Iterable[str]) -> str:
    """Why the subscriber gets this email, as the footer says it."""
    wanted = set(topics)
    chosen = [label for slug, label in vocabulary.topics.items() if slug in wanted]
    what = ", ".join(chosen) if chosen else "all topics"
    return (
        f"You get this because you subscribed to updates for "
        f"{vocabulary.audiences[audience].lower()} on: {what}."
    )


def digest_context(
    vocabulary: Vocabulary,
    site_url: str,
    audience: str,
    topics: Sequence[str],
    period: Period,
    picks: Sequence[Pick],
) -> dict[str, Any]:
    """Context for digest.mjml/.txt; the same for every subscriber with this audience and topics."""
    new_count = sum(p.is_new for p in picks)
    if new_count:
        intro = (
            f"Here {'is' if new_count == 1 else 'are'} {new_count} free "
            f"resource{'s' if new_count != 1 else ''} on modern slavery, new to our library "
            "this month, "
            f"picked for {vocabulary.audiences[audience].lower()}"
            + (", the closest matches to your topics first." if topics else ", newest first.")
        )
    elif picks:
        intro = (
            "Nothing new this month on your topics, so here are some of our most useful "
            "free resources to share."
        )
    else:  # the short note DIGEST_SEND_EMPTY asks for
        intro = NOTHING_NEW_INTRO
    return {
        "audience": audience,
        "audience_label": vocabulary.audiences[audience],
        "period_label": period.label,
        "intro": intro,
        "reason": reason_line(vocabulary, audience, topics),
        "resources": [resource_view(p.resource, vocabulary, site_url, p.is_new) for p in picks],
    }


def announcement_context(
    vocabulary: Vocabulary,
    site_url: str,
    audience: str,
    topics: Sequence[str],
    resource: Resource,
    message: str = "",
) -> dict[str, Any]:
    """Context for announcement.mjml/.txt."""
    return {
        "audience_label": vocabulary.audiences[audience],
        "message": message,
        "reason": reason_line(vocabulary, audience, topics),
        "resource": resource_view(resource, vocabulary, site_url, is_new=True),
    }


def preferences_changed_context(
    vocabulary: Vocabulary, audience: str, topics: Sequence[str]
) -> dict[str, Any]:
    """Context for preferences_changed.mjml/.txt."""
    return {
        "audience_label": vocabulary.audiences[audience],
        "topic_labels": [vocabulary.topics[t] for t in topics] or ["all topics"],
        "reason": reason_line(vocabulary, audience, topics),
    }


def confirm_context(confirm_days: int) -> dict[str, Any]:
    """Context for confirm_subscription.mjml/.txt: deliberately nothing the visitor typed."""
    return {"confirm_days": confirm_days, "reason": ""}


def greeting(name: str | None) -> str:
    """'Hello Sam,' or 'Hello,' when we have no name."""
    name = " ".join((name or "").split())
    return f"Hello {name}," if name else "Hello,"
