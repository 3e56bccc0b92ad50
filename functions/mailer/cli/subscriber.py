"""`mailer subscriber show|unsubscribe|erase|export ADDRESS`: the find-a-person page's twins for
engineers. Each is audited like the console's, by key, with the engineer's login as actor."""

from __future__ import annotations

import json

import click

from mailer.staff.people import PersonRecord

from .context import Group, actor, container_of, echo


@click.group(cls=Group)
def subscriber() -> None:
    """One person's record, found by their exact address (audited by key, never the address)."""


def _show(record: PersonRecord) -> None:
    if not record.known:
        echo("not known: we hold nothing about that address")
        return
    s = record.subscriber
    echo(f"key:            {record.key}")
    if s is None:
        echo(f"status:         {'erased ' + record.erased_at if record.erased_at else 'none'}")
    else:
        withdrawn = f" (withdrawn {s.withdrawn_at}, {s.withdrawal})" if s.withdrawn_at else ""
        echo(f"address:        {s.email}")
        echo(f"status:         {s.status.value}{withdrawn}")
        echo(f"group:          {s.audience}")
        echo(f"topics:         {', '.join(s.topics) or 'all topics'}")
        echo(f"name:           {s.name}")
        echo(f"organisation:   {s.organisation}")
        echo(f"subscribed:     {s.created_at}  confirmed: {s.confirmed_at or '-'}")
        echo(f"lawful basis:   {s.basis or '(not recorded)'}")
        note = f": {s.source_note}" if s.source_note else ""
        echo(f"source:         {s.source or '(not recorded)'}{note}")
        if s.consent:
            echo(
                f"consent:        {s.consent.at} on {s.consent.form_version}: "
                f"{s.consent.statement!r}"
            )
    if record.suppression:
        echo(f"suppressed:     {record.suppression.get('reason')} ({record.suppression.get('at')})")
    else:
        echo("suppressed:     no")
    echo(f"transient bounces: {', '.join(record.transient_bounces) or 'none'}")
    for sent in record.campaigns:
        echo(f"  campaign {sent.campaign_id}: {sent.outcome} {sent.at}")


@subscriber.command("show")
@click.argument("address")
@click.pass_context
def show(ctx: click.Context, address: str) -> None:
    """What is held about ADDRESS: group, topics, status, evidence, campaigns, suppression."""
    _show(container_of(ctx).people.find(actor(), address))


@subscriber.command("unsubscribe")
@click.argument("address")
@click.pass_context
def unsubscribe(ctx: click.Context, address: str) -> None:
    """Unsubscribe ADDRESS (safe to run twice)."""
    people = container_of(ctx).people
    changed = people.unsubscribe(actor(), people.key(address))
    echo("unsubscribed" if changed else "nothing to do: not subscribed")


@subscriber.command("erase")
@click.argument("address")
@click.option("--yes", is_flag=True, help="do not ask; erasing cannot be undone")
@click.pass_context
def erase(ctx: click.Context, address: str, yes: bool) -> None:
    """Erase ADDRESS, keeping only its one-way key so it is never added again."""
    if not yes:
        click.confirm("Erase this person's data? It cannot be undone.", abort=True)
    people = container_of(ctx).people
    erased = people.erase(actor(), people.key(address))
    echo("erased: only the one-way key is kept" if erased else "nothing to erase")


@subscriber.command("export")
@click.argument("address")
@click.pass_context
def export(ctx: click.Context, address: str) -> None:
    """Print the same JSON the subscriber downloads (exit 1 if nothing is held)."""
    people = container_of(ctx).people
    record = people.export(actor(), people.key(address))
    if record is None:
        raise click.ClickException("nothing to export: we hold no data for that address")
    echo(json.dumps(record, indent=2, ensure_ascii=False))
