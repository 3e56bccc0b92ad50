"""`mailer staff`: the console's members, from an engineer's terminal."""

from __future__ import annotations

import click

from .context import Group, container_of, echo, shown


@click.group(cls=Group)
def staff() -> None:
    """Staff console members."""


@staff.command("end-sessions")
@click.argument("member")
@click.pass_context
def end_sessions(ctx: click.Context, member: str) -> None:
    """Sign MEMBER (address or id) out everywhere: console sessions end now, and Cognito
    revokes their refresh tokens. Disable or degroup them in Cognito first to keep them out."""
    container = container_of(ctx)
    ended = container.staff_members.end_sessions(member, "cli")
    echo(f"{shown(member)}: signed out everywhere, {ended} console session(s) ended.")


@staff.command("members")
@click.pass_context
def members(ctx: click.Context) -> None:
    """Every member of the staff user pool."""
    for member in container_of(ctx).staff_members.list():
        state = "enabled" if member.enabled else "disabled"
        echo(f"{shown(member.email):<40} {shown(member.subject)}  {state}")
