"""`mailer digest`: preview a month's plan, send it in this process, and report on it."""

from __future__ import annotations

import datetime as dt
import sys
from collections import Counter
from collections.abc import Mapping
from typing import Any

import click

from mailer.campaigns.digests import draft_period, shown_id
from mailer.campaigns.drafts import Draft
from mailer.campaigns.engine import VISIBILITY_TIMEOUT
from mailer.campaigns.model import Kind, Period, campaign_id
from mailer.campaigns.queue import drain
from mailer.campaigns.sender import Result
from mailer.errors import MailerError

from .campaigns import echo_status
from .context import Group, actor, container_of, echo, shown
from .progress import Progress


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
    draft = container.digests.draft_for(month)
    view = container.digests.view(draft)
    campaign = container.digests.campaign_of(draft)
    echo(f"{month.label} digest: a dry run, nothing is recorded or sent.")
    echo(f"New means added on or after {view.since.isoformat()} ({view.why}).")
    echo(f"Its draft {shown_id(draft)} is {_draft_state(container, draft)}.")
    for stored in view.unreviewed:
        assert stored.unreviewed is not None  # DigestView.unreviewed lists only those
        echo(
            f"Not yet reviewed by a sender: {stored.resource.id} "
            f"({stored.unreviewed.change} by {shown(stored.unreviewed.by)})"
        )
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


def _draft_state(container: Any, draft: Draft) -> str:
    stored = container.drafts.get(draft.id)
    if stored is None:
        return f"not prepared yet (due {container.digests.prepares_on(draft_period(draft))})"
    return f"{stored.state} (version {stored.version})"


@digest.command("prepare")
@click.option("--period", required=True, help="the month, as YYYY-MM")
@click.pass_context
def digest_prepare(ctx: click.Context, period: str) -> None:
    """Prepare the month's digest draft now, as the schedule does, and tell the senders."""
    container = container_of(ctx)
    draft, created = container.digests.prepare(Period.parse(period), member=actor())
    if created:
        container.audit_log.record(actor(), "prepared a digest draft", {"draft": draft.id})
    echo(f"{shown_id(draft)}: {'prepared' if created else 'already prepared'} ({draft.state}).")


@digest.command("send")
@click.option("--period", required=True, help="the month, as YYYY-MM")
@click.pass_context
def digest_send(ctx: click.Context, period: str) -> None:
    """Send the month's digest here as its draft says (approved, else as DIGEST_UNAPPROVED
    says); a second run sends nothing."""
    container = container_of(ctx)
    month = Period.parse(period)
    if dt.datetime.fromtimestamp(container.clock(), dt.UTC).date() < month.start:
        echo(
            f"Note: sending the {month.label} digest before {month.start:%-d %B %Y}. It covers "
            f"what is in the catalogue now; anything added later is new in {month.next.label}'s.",
            err=True,
        )
    started = container.digests.start(month, member=actor())
    if started.report is None:
        raise MailerError(
            f"the {month.label} digest is {started.status}: nothing sent"
            + (" (a sender approves its draft, then sends it)" if started.status == "held" else "")
        )
    report = started.report
    echo(f"{report.campaign_id}: {started.status}.")
    queued = sum(report.enqueued.values())
    if report.already_planned:
        echo(f"{report.campaign_id}: already planned; sending whatever is still queued.")
    else:
        state = "created" if report.created else "resumed"
        echo(f"{report.campaign_id}: {state}, {queued} recipient(s) queued.")
    # What is left of this campaign to send: its recipients with no outcome yet. That is what
    # this run queued, and what an earlier run left queued (a run cut off), which "already
    # planned" did not queue again; 0 once everyone has had theirs.
    before = container.campaigns.status(report.campaign_id)
    outcomes: Counter[str] = Counter()
    sender = container.sender
    with Progress(before.in_flight if before else queued, "Sending") as progress:

        def count(record: Mapping[str, Any], result: object | None) -> None:
            outcomes[result.outcome if isinstance(result, Result) else "retry"] += 1
            progress.advance()

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
