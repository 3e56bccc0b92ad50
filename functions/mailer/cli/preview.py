"""`mailer preview digest`: what one group's digest will be, through the code that sends it."""

from __future__ import annotations

import click

from mailer.campaigns.model import Period
from mailer.campaigns.preview import preview as render_preview
from mailer.campaigns.preview import reader
from mailer.errors import MailerError

from .context import Group, container_of


@click.group(cls=Group)
def preview() -> None:
    """Render an email without sending it."""


@preview.command("digest")
@click.option("--audience", required=True, help="schools, faith-groups or individuals")
@click.option("--period", required=True, help="the month, as YYYY-MM")
@click.option("--topics", default="", help="comma-separated topic slugs (default: all topics)")
@click.option("--name", default="Sam", show_default=True, help="the name in the greeting")
@click.option("--text", "as_text", is_flag=True, help="print the plain-text part instead")
@click.option(
    "--out",
    type=click.File("w", encoding="utf-8"),
    default="-",
    help="write to this file instead of standard output",
)
@click.option(
    "--source",
    type=click.Choice(["store", "files"]),
    default="store",
    show_default=True,
    help="pick from the run-time catalogue (what the digest sends) or the catalogue/ files",
)
@click.pass_context
def preview_digest(
    ctx: click.Context,
    audience: str,
    period: str,
    topics: str,
    name: str,
    as_text: bool,
    out: click.utils.LazyFile,
    source: str,
) -> None:
    """One group's digest for a month, as `mailer digest send` would send it: the planner's
    choice of what is new, the sender's rendering, placeholder links."""
    container = container_of(ctx)
    vocabulary = container.vocabulary
    if audience not in vocabulary.audiences:
        raise MailerError(
            f"unknown audience {audience!r} (choose from: {', '.join(vocabulary.audiences)})"
        )
    chosen = tuple(t.strip() for t in topics.split(",") if t.strip())
    unknown = [t for t in chosen if t not in vocabulary.topics]
    if unknown:
        raise MailerError(f"unknown topic(s): {', '.join(unknown)}")
    month = Period.parse(period)
    resources = (
        container.catalogue_files().resources if source == "files" else container.resources()
    )
    # The store: the month's draft (as saved, or as approved), what `digest send` sends. The
    # files have no draft: the planner's own choice from them.
    campaign = (
        container.planner.digest(month)
        if source == "files"
        else container.digests.campaign_of(container.digests.draft_for(month))
    )
    member = reader(audience, chosen, name)
    rendered = render_preview(
        container.composer, campaign, resources, member, container.settings.site_url
    )
    if rendered is None:
        raise MailerError(
            f"nothing relevant for this group in {month.label}: the digest skips them "
            "(set DIGEST_SEND_EMPTY=1 to send a short nothing-new note instead)"
        )
    email = rendered.email
    body = email.text if as_text else email.html
    out.write(body if body.endswith("\n") else body + "\n")
    if out.name != "<stdout>":
        shown = len(rendered.resource_ids)
        click.echo(f"wrote {out.name}: {email.subject!r}, {shown} resources", err=True)
