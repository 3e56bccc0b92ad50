"""`mailer census check|rebuild`: the dashboard's counters against a scan of the table."""

from __future__ import annotations

import click

from .context import Group, container_of, echo


@click.group(cls=Group)
def census() -> None:
    """The census counters the dashboard reads (kept with every subscriber write)."""


@census.command("check")
@click.pass_context
def check(ctx: click.Context) -> None:
    """Compare the counters with a scan of the whole table; exit 1 naming any cell that differs."""
    store = container_of(ctx).subscriber_store
    counted, scanned = store.census(), store.census_by_scan()
    differ = sorted(
        (name, counted.get(name, 0), scanned.get(name, 0))
        for name in set(counted) | set(scanned)
        if counted.get(name, 0) != scanned.get(name, 0)
    )
    for name, by_counter, by_scan in differ:
        echo(f"  {name}: counters {by_counter}, scan {by_scan}", err=True)
    if differ:
        raise click.ClickException(f"{len(differ)} census cell(s) differ from a scan")
    echo(f"ok: {len(counted)} census cell(s), {sum(counted.values())} in all, equal a scan")


@census.command("rebuild")
@click.option("--yes", is_flag=True, help="do not ask")
@click.pass_context
def rebuild(ctx: click.Context, yes: bool) -> None:
    """Set the counters from a scan (once, after the first deploy with counters; run it while
    nobody subscribes, then `mailer census check`)."""
    if not yes:
        click.confirm("Replace the census counters with a scan's totals?", abort=True)
    totals = container_of(ctx).subscriber_store.rebuild_census()
    echo(f"rebuilt: {len(totals)} census cell(s) from a scan")
