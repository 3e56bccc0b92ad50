"""`mailer announce` and `mailer campaign`: the staff console's sending pages, for engineers."""

from __future__ import annotations

import click

from mailer.campaigns.digests import campaign_id_of
from mailer.campaigns.model import COUNTED, CampaignStatus
from mailer.campaigns.queue import drain
from mailer.errors import MailerError

from .context import Group, actor, container_of, echo
from .drafts import (
    campaign_approve,
    campaign_discard,
    campaign_draft,
    campaign_schedule,
    campaign_show,
    campaign_unschedule,
)


@click.command()
@click.argument("resource_id")
@click.option(
    "--audience",
    "audiences",
    multiple=True,
    help="an audience of the resource (repeat for more; default: all of its own)",
)
@click.option("--message", default="", help="a short introduction above the resource")
@click.option("--dry-run", is_flag=True, help="say who would get it; record and send nothing")
@click.pass_context
def announce(
    ctx: click.Context, resource_id: str, audiences: tuple[str, ...], message: str, dry_run: bool
) -> None:
    """Announce a resource to its audiences through a draft, approved and sent at once by the
    console's own code (each group gets a resource once: a second run sends nothing)."""
    container = container_of(ctx)
    planner = container.planner
    campaign = planner.announcement(resource_id, list(audiences) or None, message)
    plans = list(planner.dry_run(campaign))
    for plan in plans:
        echo(f"{plan.audience}: {plan.relevant} of {plan.recipients} confirmed subscriber(s)")
    if dry_run:
        echo("Dry run: nothing recorded or sent.")
        return
    approvals = container.approvals
    earlier = approvals.announced_to(resource_id)
    repeated = [a for a in campaign.audiences if a in earlier]
    if repeated:
        raise MailerError(
            f"{resource_id!r} was announced already to {', '.join(repeated)}: nothing more is sent"
        )
    if not sum(plan.relevant for plan in plans):
        raise MailerError("nobody in those audiences wants this resource's topics")
    who = actor()
    draft = approvals.drafts.create(resource_id, campaign.audiences, who, message=message)
    container.audit_log.record(who, "created a draft", {"draft": draft.id})
    approved = approvals.approve(draft, who)
    container.audit_log.record(who, "approved a draft", {"draft": draft.id})
    sent = approvals.send(approved, who)
    container.audit_log.record(who, "sent an announcement", {"campaign": sent.id})
    status = container.campaigns.status(sent.id)
    queued = status.totals["planned"] if status else 0
    echo(f"{sent.id}: draft {draft.id} approved and sent, {queued} recipient(s) queued.")
    drain(container.clients.sqs, container.settings.send_queue_url, container.sender.process_batch)
    status = container.campaigns.status(sent.id)
    if status is not None:
        echo_status(status)


@click.group(cls=Group)
def campaign() -> None:
    """Digests and announcements: their drafts, and how each one went."""


for _command in (
    campaign_draft,
    campaign_show,
    campaign_approve,
    campaign_schedule,
    campaign_unschedule,
    campaign_discard,
):
    campaign.add_command(_command)


@campaign.command("list")
@click.pass_context
def campaign_list(ctx: click.Context) -> None:
    """Every campaign, newest first, with its totals."""
    statuses = container_of(ctx).campaigns.list()
    if not statuses:
        echo("No campaigns yet.")
    for status in statuses:
        totals = status.totals
        state = status.state
        echo(
            f"{status.campaign.id:<50} {status.started_at or '-':<26} {state:<9} "
            + ", ".join(f"{totals[c]} {c}" for c in COUNTED)
        )


@campaign.command("reindex")
@click.pass_context
def campaign_reindex(ctx: click.Context) -> None:
    """Add campaigns and SES events from before the list index to it (once, after upgrading)."""
    added = container_of(ctx).campaigns.list_unlisted()
    echo(f"listed {added} campaign(s) and SES event(s) missing from the list and the dashboard")


@campaign.command("status")
@click.argument("campaign_id")
@click.pass_context
def campaign_status(ctx: click.Context, campaign_id: str) -> None:
    """One campaign's counts per audience and outcome."""
    status = container_of(ctx).campaigns.status(campaign_id_of(campaign_id))
    if status is None:
        raise MailerError(f"no campaign {campaign_id!r} (see `mailer campaign list`)")
    echo_status(status)


@campaign.command("pause")
@click.argument("campaign_id")
@click.pass_context
def campaign_pause(ctx: click.Context, campaign_id: str) -> None:
    """Stop sending within seconds; jobs that arrive meanwhile wait, parked, for resume."""
    _control(ctx, campaign_id, "pause")


@campaign.command("resume")
@click.argument("campaign_id")
@click.pass_context
def campaign_resume(ctx: click.Context, campaign_id: str) -> None:
    """Carry on sending a paused campaign; no one is mailed twice."""
    _control(ctx, campaign_id, "resume")


@campaign.command("cancel")
@click.argument("campaign_id")
@click.pass_context
def campaign_cancel(ctx: click.Context, campaign_id: str) -> None:
    """Send no more of a campaign: everyone not yet mailed is recorded as skipped."""
    _control(ctx, campaign_id, "cancel")


def _control(ctx: click.Context, typed: str, action: str) -> None:
    campaign_id = campaign_id_of(typed)  # a month's digest by its draft's key too
    if not container_of(ctx).planner.control(campaign_id, action):
        past = {"pause": "paused", "resume": "resumed", "cancel": "cancelled"}[action]
        raise MailerError(f"{campaign_id} cannot be {past} now (finished, or not paused?)")
    echo(f"{campaign_id}: {action} done.")


def echo_status(status: CampaignStatus) -> None:
    """A campaign's times and counts, as a small table."""
    echo(f"\n{status.campaign.id}")
    echo(f"  started   {status.started_at or '-'}")
    echo(f"  planned   {status.planned_at or '- (planning)'}")
    echo(f"  finished  {status.finished_at or '-'}")
    echo(f"  state     {status.state}")
    echo(f"  in flight {status.in_flight}")
    if status.control:
        echo(f"  staff     {status.control}")
    echo(f"  {'audience':<14}" + "".join(f"{c:>11}" for c in COUNTED))
    for audience, row in status.counts.items():
        echo(f"  {audience:<14}" + "".join(f"{row.get(c, 0):>11}" for c in COUNTED))
    totals = status.totals
    echo(f"  {'total':<14}" + "".join(f"{totals[c]:>11}" for c in COUNTED))
