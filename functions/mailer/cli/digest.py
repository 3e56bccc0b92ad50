"""`mailer digest`: preview a month's plan, send it in this process, and report on it."""

from __future__ import annotations

import datetime as dt
import sys
from collections import Counter
from collections.abc import Mapping
from typing import Any

import click

from mailer.campaigns.model import Kind, Period, campaign_id
from mailer.campaigns.queue import drain
from mailer.campaigns.sender import VISIBILITY_TIMEOUT, Result
from mailer.errors import MailerError

from .campaigns import echo_status
from .context import Group, container_of, echo, shown


@click.group(cls=Group)
def digest() -> None:
    """The monthly digest: plan it, send it, see how it went.

    On AWS the schedule starts the planner on the 1st and the sender functions do the sending;
    these commands do the same in this process against whatever AWS the settings name.
    """


@digest.command("plan")
@click.option("--period", required=True, help="the month, as YYYY-MM")
@click.pass_context
def digest_plan(ctx: click.Context, period: str) -> None:
    """Dry run: per audience, the resources picked and how many subscribers would get them."""
    container = container_of(ctx)
    month = Period.parse(period)
    planner = container.planner
    since, why = planner.new_since(month)
    campaign = planner.digest(month)
    echo(f"{month.label} digest: a dry run, nothing is recorded or sent.")
    echo(f"New means added on or after {since.isoformat()} ({why}).")
    existing = container.campaigns.status(campaign.id)
    if existing is not None:
        echo(
            f"A campaign record exists (started {existing.started_at}): `mailer digest send` "
            "would only send what is still due."
        )
    with click.progressbar(
        planner.dry_run(campaign),
        length=len(campaign.audiences),
        label="Reading subscribers",
        file=sys.stderr,
    ) as plans:
        previews = list(plans)
    empty = (
        "would get a nothing-new note"
        if container.settings.digest_send_empty
        else "would be skipped"
    )
    for plan in previews:
        label = container.vocabulary.audiences[plan.audience]
        echo(
            f"\n{label} ({plan.audience}): {plan.recipients} confirmed subscriber(s), "
            f"{plan.relevant} with something relevant; "
            f"{plan.recipients - plan.relevant} {empty}."
        )
        if not plan.highlights:
            echo("  nothing to highlight")
        for pick in plan.highlights:
            tag = "new" if pick.is_new else "evergreen"
            echo(f"  {tag:<9} {pick.resource.id}: {shown(pick.resource.title)}")


@digest.command("send")
@click.option("--period", required=True, help="the month, as YYYY-MM")
@click.pass_context
def digest_send(ctx: click.Context, period: str) -> None:
    """Plan the month's digest and send it here; a second run sends nothing."""
    container = container_of(ctx)
    month = Period.parse(period)
    if dt.datetime.fromtimestamp(container.clock(), dt.UTC).date() < month.start:
        echo(
            f"Note: sending the {month.label} digest before {month.start:%-d %B %Y}. It covers "
            f"what is in the catalogue now; anything added later is new in {month.next.label}'s.",
            err=True,
        )
    campaign = container.planner.digest(month)
    report = container.planner.plan(campaign)
    queued = sum(report.enqueued.values())
    if report.already_planned:
        echo(f"{report.campaign_id}: already planned; sending whatever is still queued.")
    else:
        state = "created" if report.created else "resumed"
        echo(f"{report.campaign_id}: {state}, {queued} recipient(s) queued.")
    outcomes: Counter[str] = Counter()
    sender = container.sender
    with click.progressbar(length=max(queued, 1), label="Sending", file=sys.stderr) as bar:

        def count(record: Mapping[str, Any], result: object | None) -> None:
            outcomes[result.outcome if isinstance(result, Result) else "retry"] += 1
            bar.update(1)

        drain(
            container.clients.sqs,
            container.settings.send_queue_url,
            sender.process_batch,
            on_record=count,
        )
    echo(
        "This run: "
        + ", ".join(
            f"{outcomes[name]} {name}"
            for name in ("sent", "skipped", "suppressed", "failed", "duplicate")
        )
        + "."
    )
    if outcomes["retry"]:
        echo(
            f"{outcomes['retry']} could not be sent yet and stay on the queue; they come back "
            f"after {VISIBILITY_TIMEOUT // 60} minutes (run this again, or let the senders "
            "retry them)."
        )
    status = container.campaigns.status(report.campaign_id)
    if status is not None:
        echo_status(status)


@digest.command("status")
@click.option("--period", required=True, help="the month, as YYYY-MM")
@click.pass_context
def digest_status(ctx: click.Context, period: str) -> None:
    """The month's campaign: counts per audience and outcome, start and end times."""
    container = container_of(ctx)
    month = Period.parse(period)
    status = container.campaigns.status(campaign_id(Kind.DIGEST, month))
    if status is None:
        raise MailerError(
            f"no digest for {month} yet (preview it with `mailer digest plan --period {month}`, "
            f"send it with `mailer digest send --period {month}`)"
        )
    echo_status(status)
