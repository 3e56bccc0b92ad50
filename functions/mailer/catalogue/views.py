"""A resource as pages and emails show it: labels instead of slugs, and always a link."""

from __future__ import annotations

from typing import Any

from .schema import Resource, Vocabulary


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
