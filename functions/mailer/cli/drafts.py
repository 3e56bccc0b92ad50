"""`mailer campaign draft|show|approve|schedule|unschedule|discard`: the console's draft pages
for engineers, through the same code (approval.py for announcements, digests.py for the month's
digest, schedules.py for scheduling). Every change names the version shown, as the console's
buttons do, so it acts on what was seen."""

from __future__ import annotations

import datetime as dt

import click

from mailer.campaigns.digests import draft_id_of, draft_period, shown_id
from mailer.campaigns.drafts import Draft
from mailer.campaigns.model import Kind, Period
from mailer.campaigns.send_time import london_moment, london_words
from mailer.errors import MailerError

from .context import actor, container_of, echo, shown


def _draft(ctx: click.Context, typed: str) -> Draft:
    """The draft `typed` names, by the id `show` prints or by its key (digests.draft_id_of)."""
    draft_id = draft_id_of(typed)
    draft = container_of(ctx).drafts.get(draft_id) if draft_id.isalnum() else None
    if draft is None:
        raise MailerError(f"no draft {typed!r} (`mailer campaign show` lists them)")
    return draft


def _current(ctx: click.Context, draft_id: str, version: int) -> Draft:
    draft = _draft(ctx, draft_id)
    if draft.version != version:
        raise MailerError(
            f"{shown_id(draft)} is at version {draft.version}, not {version}: nothing done "
            f"(see it with `mailer campaign show {shown_id(draft)}`)"
        )
    return draft


@click.command("draft")
@click.option("--resource", "resource_id", help="announce this resource (a new draft)")
@click.option("--period", help="prepare this month's digest draft, as YYYY-MM")
@click.pass_context
def campaign_draft(ctx: click.Context, resource_id: str | None, period: str | None) -> None:
    """Start an announcement's draft, or prepare a month's digest draft."""
    container = container_of(ctx)
    if bool(resource_id) == bool(period):
        raise MailerError("give --resource ID (an announcement) or --period YYYY-MM (a digest)")
    if period:
        draft, created = container.digests.prepare(Period.parse(period), member=actor())
    else:
        found = container.catalogue_store.get(resource_id or "", container.vocabulary)
        if found is None or found[1]:
            raise MailerError(f"no resource {resource_id!r} in the catalogue (or it is retired)")
        draft, created = container.approvals.start(found[0], actor()), True
    if created:
        container.audit_log.record(actor(), "created a draft", {"draft": draft.id})
    done = "created" if created else "already prepared"
    echo(f"{shown_id(draft)}: {done}, version {draft.version}.")


@click.command("show")
@click.argument("draft_id", required=False)
@click.pass_context
def campaign_show(ctx: click.Context, draft_id: str | None) -> None:
    """A draft as its page shows it (groups, people, subjects, what it features); with no id,
    every draft."""
    container = container_of(ctx)
    if not draft_id:
        for d in container.drafts.list():
            what = f"{d.period} digest" if d.kind is Kind.DIGEST else shown(d.resource_id)
            echo(f"{shown_id(d)}  {d.state:<9} v{d.version}  {what}")
        return
    draft = _draft(ctx, draft_id)
    campaign = container.campaign_of(draft)
    echo(f"{campaign.name}: draft {shown_id(draft)}, {draft.state}, version {draft.version}")
    echo(f"  last changed {draft.updated_at} by {shown(draft.updated_by)}")
    if draft.approved_by:
        echo(f"  approved {draft.approved_at} by {shown(draft.approved_by)}")
    if draft.message:
        echo(f"  introduction: {shown(draft.message)}")
    people = {p.audience: p.relevant for p in container.planner.dry_run(campaign)}
    frozen = campaign.snapshot
    for audience in campaign.audiences:
        subject = frozen.subject_for(audience) if frozen else ""
        label = container.vocabulary.audiences.get(audience, audience)
        echo(f"\n{label}: {people.get(audience, 0)} people; subject: {shown(subject or '(ours)')}")
        for resource_id in frozen.features.get(audience, ()) if frozen else ():
            echo(f"  featured  {resource_id}")
    if draft.kind is Kind.DIGEST:
        for stored in container.digests.view(draft).unreviewed:
            assert stored.unreviewed is not None  # listed only when unreviewed
            echo(
                f"Not yet reviewed by a sender: {stored.resource.id} "
                f"({stored.unreviewed.change} by {shown(stored.unreviewed.by)})"
            )
        if not draft.scheduled_for:
            echo(f"Goes out on {draft_period(draft).start:%-d %B %Y}.")
    if draft.scheduled_for:
        echo(f"Scheduled for {london_words(draft.scheduled_for)} by {shown(draft.scheduled_by)}.")


@click.command("approve")
@click.argument("draft_id")
@click.option("--version", type=int, required=True, help="the version `show` printed")
@click.pass_context
def campaign_approve(ctx: click.Context, draft_id: str, version: int) -> None:
    """Approve a draft as shown (a sender's act): what is sent is then exactly this."""
    container = container_of(ctx)
    draft = _current(ctx, draft_id, version)
    approvals = container.digests if draft.kind is Kind.DIGEST else container.approvals
    approved = approvals.approve(draft, actor())
    container.audit_log.record(
        actor(), "approved a draft", {"draft": draft.id, "version": approved.version}
    )
    echo(f"{shown_id(draft)}: approved, version {approved.version}.")


@click.command("discard")
@click.argument("draft_id")
@click.option("--version", type=int, required=True, help="the version `show` printed")
@click.pass_context
def campaign_discard(ctx: click.Context, draft_id: str, version: int) -> None:
    """Set a draft aside (a month's digest draft discarded: no digest that month)."""
    container = container_of(ctx)
    draft = _current(ctx, draft_id, version)
    container.drafts.discard(draft, actor())
    container.audit_log.record(actor(), "discarded a draft", {"draft": draft.id})
    echo(f"{shown_id(draft)}: discarded.")


@click.command("schedule")
@click.argument("draft_id")
@click.option("--version", type=int, required=True, help="the version `show` printed")
@click.option(
    "--at",
    "at",
    type=click.DateTime(["%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"]),
    required=True,
    help="when it goes out, London time: 'YYYY-MM-DD HH:MM'",
)
@click.pass_context
def campaign_schedule(ctx: click.Context, draft_id: str, version: int, at: dt.datetime) -> None:
    """Have an approved draft sent at a time (London), or move a scheduled one (a sender's act)."""
    container = container_of(ctx)
    draft = _current(ctx, draft_id, version)
    scheduled = container.schedules.schedule(draft, london_moment(at.date(), at.time()), actor())
    detail = {"draft": draft.id, "version": scheduled.version, "at": scheduled.scheduled_for}
    container.audit_log.record(actor(), "scheduled a draft", detail)
    echo(
        f"{shown_id(draft)}: scheduled for {london_words(scheduled.scheduled_for)}, "
        f"version {scheduled.version}."
    )


@click.command("unschedule")
@click.argument("draft_id")
@click.option("--version", type=int, required=True, help="the version `show` printed")
@click.pass_context
def campaign_unschedule(ctx: click.Context, draft_id: str, version: int) -> None:
    """Take a scheduled draft off its schedule: it stays approved, and nothing is sent."""
    container = container_of(ctx)
    draft = _current(ctx, draft_id, version)
    approved = container.schedules.unschedule(draft, actor())
    container.audit_log.record(
        actor(), "unscheduled a draft", {"draft": draft.id, "was": draft.scheduled_for}
    )
    echo(f"{shown_id(draft)}: unscheduled (still approved), version {approved.version}.")
