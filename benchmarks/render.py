"""Render time per email: cached compiled variant versus compiling MJML for every recipient."""

from __future__ import annotations

import datetime as dt
import os
import platform
import timeit

from mailer.campaigns.model import Period
from mailer.campaigns.selection import select_resources
from mailer.campaigns.variants import digest_context
from mailer.catalogue.schema import Catalogue
from mailer.emails.mime import build_message
from mailer.emails.render import EmailRenderer
from mailer.emails.views import greeting
from mailer.paths import catalogue_dir, email_templates_dir

BASE = {
    "site_url": "https://mailer.example.org",
    "charity_name": "Anti-Slavery International",
    "charity_address": "London",
}


def _recipient(i: int) -> dict[str, str]:
    return {
        "greeting": greeting(f"Reader {i}"),
        "manage_url": f"https://mailer.example.org/preferences/token-{i}",
        "unsubscribe_url": f"https://mailer.example.org/unsubscribe/token-{i}",
    }


def main(recipients: int = 2000) -> None:
    """Print per-email render times for both strategies, and the MIME build on top."""
    catalogue = Catalogue.load(catalogue_dir())
    period = Period.parse("2026-12")
    picks = select_resources(catalogue.resources, "individuals", [], period)
    context = digest_context(
        catalogue.vocabulary, BASE["site_url"], "individuals", [], period, picks
    )

    cached = EmailRenderer(email_templates_dir(), BASE)
    cached.render("digest", context, _recipient(0), variant_key="warm-up")
    counter = iter(range(10**9))
    t_cached = min(
        timeit.repeat(
            lambda: cached.render("digest", context, _recipient(next(counter)), "v"),
            number=recipients,
            repeat=3,
        )
    )

    # Compiling per recipient: a fresh variant key each time defeats the cache.
    uncached = EmailRenderer(email_templates_dir(), BASE, cache_size=1)
    t_uncached = min(
        timeit.repeat(
            lambda: uncached.render("digest", context, _recipient(0), variant_key=next(counter)),
            number=recipients // 10,
            repeat=3,
        )
    )

    email = cached.render("digest", context, _recipient(1), "v")
    t_mime = min(
        timeit.repeat(
            lambda: build_message(
                email,
                sender="news@mailer.example.org",
                to="reader@example.com",
                list_unsubscribe_url="https://mailer.example.org/unsubscribe/t",
            ).as_bytes(),
            number=recipients // 4,
            repeat=3,
        )
    )
    per_cached = t_cached / recipients * 1e3
    per_uncached = t_uncached / (recipients // 10) * 1e3
    per_mime = t_mime / (recipients // 4) * 1e3
    print(
        f"date: {dt.date.today()}  machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}"
    )
    print(f"digest HTML size: {len(email.html.encode()) / 1024:.1f} KB, {len(picks)} resources")
    print(f"render, cached variant:          {per_cached:.3f} ms/email")
    print(
        f"render, compile per recipient:   {per_uncached:.3f} ms/email "
        f"({per_uncached / per_cached:.1f}x slower)"
    )
    print(f"MIME build + serialise:          {per_mime:.3f} ms/email")


if __name__ == "__main__":
    main()
