"""What every `mailer` command shares: the container, and domain errors as one clear line."""

from __future__ import annotations

import click

from mailer.container import Container
from mailer.errors import MailerError
from mailer.settings import Settings


class Group(click.Group):
    """Turns domain errors into one clear line and exit code 1, never a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        """Run the command, translating MailerError into a ClickException."""
        try:
            return super().invoke(ctx)
        except MailerError as exc:
            raise click.ClickException(str(exc)) from None


def container_of(ctx: click.Context) -> Container:
    """The container tests pass as `obj`, else one built from the environment."""
    root = ctx.find_root()
    if root.obj is None:
        root.obj = Container(Settings.from_env())
    return root.obj
